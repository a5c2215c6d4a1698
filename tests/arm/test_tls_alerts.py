"""A server that rejects the client in its TLS handshake is named as doing so, with the alert
OpenSSL reports: "the connection could not be made" sent users to look for a firewall that had
let them through, when the server wanted a client certificate or a TLS version this machine
does not speak."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.arm.auth import StaticToken
from reconciler.arm.client import ArmClient, RetryPolicy
from reconciler.emulator.tls import self_signed
from reconciler.errors import TransportError


@contextlib.contextmanager
def _tls_server(context: ssl.SSLContext, accepted: list[int] | None = None) -> Iterator[int]:
    """A loopback port doing TLS handshakes with ``context`` (which reject the client) until
    the block ends; its port. ``accepted`` gets a 1 per connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # the listener shut down
                return
            if accepted is not None:
                accepted.append(1)
            tls = context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
            with tls:
                with contextlib.suppress(ssl.SSLError):
                    tls.do_handshake()
                # Read until the client closes: closing with its request unread would reset
                # the connection, and the client might meet the reset before the alert.
                with contextlib.suppress(OSError):
                    while socket.socket.recv(tls, 4096):
                        pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=30)


def _server(cert: Path, key: Path, adjust: Callable[[ssl.SSLContext], None]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    adjust(context)
    return context


def _requires_a_client_certificate(tls: ssl.TLSVersion) -> Callable[[ssl.SSLContext], None]:
    def adjust(context: ssl.SSLContext) -> None:
        context.maximum_version = tls
        context.verify_mode = ssl.CERT_REQUIRED

    return adjust


def _speaks_only_tls_1_1(context: ssl.SSLContext) -> None:
    with warnings.catch_warnings():  # TLS 1.1 is deprecated, as it should be
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")


@pytest.mark.parametrize(
    ("adjust", "alert"),
    [
        (_requires_a_client_certificate(ssl.TLSVersion.TLSv1_2), "SSLV3_ALERT_HANDSHAKE_FAILURE"),
        (
            _requires_a_client_certificate(ssl.TLSVersion.TLSv1_3),
            "TLSV13_ALERT_CERTIFICATE_REQUIRED",
        ),
        (_speaks_only_tls_1_1, "TLSV1_ALERT_PROTOCOL_VERSION"),
    ],
    ids=["client-certificate-tls1.2", "client-certificate-tls1.3", "protocol-version"],
)
def test_a_tls_alert_from_the_server_says_the_handshake_failed_and_names_the_alert(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    adjust: Callable[[ssl.SSLContext], None],
    alert: str,
) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))

    async def get(port: int) -> None:
        client = ArmClient(
            f"https://127.0.0.1:{port}",
            StaticToken("tok-canary"),
            retry=RetryPolicy(max_attempts=1),
        )
        async with client:
            await client.request("GET", "/subscriptions")

    with _tls_server(_server(cert, key, adjust)) as port, pytest.raises(TransportError) as raised:
        asyncio.run(get(port))
    message = str(raised.value)
    assert f"the TLS handshake failed: the server sent the alert {alert}" in message, message
    assert "could not be made" not in message and "tok-canary" not in message


def test_an_alert_httpcore_lets_out_bare_is_worded_too_not_a_traceback() -> None:
    """httpcore maps the ssl module's errors of a handshake, not of a read: TLS 1.3's alert
    for a missing client certificate, met at the first read, can come out as ssl.SSLError."""
    alert = ssl.SSLError(1, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert")
    alert.reason = "TLSV13_ALERT_CERTIFICATE_REQUIRED"

    def handler(request: httpx.Request) -> httpx.Response:
        raise alert

    async def get() -> None:
        client = ArmClient(
            "https://management.azure.com",
            StaticToken(),
            transport=httpx.MockTransport(handler),
            retry=RetryPolicy(max_attempts=1),
        )
        async with client:
            await client.request("GET", "/subscriptions")

    with pytest.raises(TransportError, match="the server sent the alert TLSV13_ALERT_CERTIFICATE_"):
        asyncio.run(get())


def test_a_tls_alert_is_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server that wants a client certificate or another TLS version wants it again a
    second later: one handshake, then the error, not the retries (and their waits) that a
    connection which could not be made gets."""
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    accepted: list[int] = []
    notes: list[str] = []

    async def get(port: int) -> None:
        client = ArmClient(
            f"https://127.0.0.1:{port}", StaticToken(), retry=RetryPolicy(max_attempts=3)
        )
        client.notify = notes.append
        async with client:
            await client.request("GET", "/subscriptions")

    server = _server(cert, key, _speaks_only_tls_1_1)
    with _tls_server(server, accepted) as port, pytest.raises(TransportError) as raised:
        asyncio.run(get(port))
    assert "TLSV1_ALERT_PROTOCOL_VERSION" in str(raised.value)
    assert (len(accepted), notes) == (1, [])


def test_an_alert_that_says_the_connection_broke_is_retried() -> None:
    """A corrupted record (a flaky middlebox) is no refusal of this client: tried again, as a
    broken connection is; only alerts about what this side offers are final."""
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            alert = ssl.SSLError(1, "[SSL: SSLV3_ALERT_BAD_RECORD_MAC] bad record mac")
            alert.reason = "SSLV3_ALERT_BAD_RECORD_MAC"
            raise alert
        return httpx.Response(200, json={"value": []})

    async def get() -> None:
        client = ArmClient(
            "https://management.azure.com",
            StaticToken(),
            transport=httpx.MockTransport(handler),
            retry=RetryPolicy(max_attempts=3, base_delay=0.0),
        )
        async with client:
            await client.request("GET", "/subscriptions")

    asyncio.run(get())
    assert len(attempts) == 2
