"""A connection attempt that fails or is abandoned leaves no socket open behind it.

httpcore closes the socket when a TLS handshake raises an error, but not when it is cancelled:
a request still in its handshake when its command ends (``asyncio.gather`` leaves the siblings
of a failed request running; ``asyncio.run`` then cancels them) left its socket to the
collector, which reported it as a ResourceWarning wherever it ran next (a later test, failed
by pytest's warning filters, depending on when the collector ran).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import threading
import warnings
from collections.abc import Iterator

import httpx
import pytest

from reconciler.arm.pools import pools_for
from reconciler.arm.routes import routes_for
from tests.tunnel import tunnelling_proxy


@contextlib.contextmanager
def _silent_tls_server() -> Iterator[tuple[int, threading.Event]]:
    """A loopback port that reads a client's first TLS record and never answers; the event
    is set once that record arrived (the client then waits in its handshake)."""
    heard = threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def serve() -> None:
            with contextlib.suppress(OSError):
                connection, _ = listener.accept()
                with connection:
                    if connection.recv(4096):
                        heard.set()
                    while connection.recv(4096):  # until the client closes
                        pass

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield listener.getsockname()[1], heard
        finally:
            listener.shutdown(socket.SHUT_RDWR)
            thread.join(timeout=30)


async def _abandoned_in_the_handshake(
    transport: httpx.AsyncBaseTransport, url: str, heard: threading.Event
) -> None:
    """Start a request, cancel it while it waits for the server's TLS answer, close."""
    request = asyncio.create_task(transport.handle_async_request(httpx.Request("GET", url)))
    assert await asyncio.to_thread(heard.wait, 30), "the client never sent its ClientHello"
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await transport.aclose()


def _resource_warnings(run: object) -> list[str]:
    """The ResourceWarnings raised while ``run`` runs and when the collector then runs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(run)  # type: ignore[arg-type]
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_request_cancelled_in_its_tls_handshake_closes_its_socket() -> None:
    with _silent_tls_server() as (port, heard):
        transport = pools_for(1)
        leaked = _resource_warnings(
            _abandoned_in_the_handshake(transport, f"https://127.0.0.1:{port}/", heard)
        )
    assert leaked == []


def test_a_request_cancelled_in_its_tls_handshake_through_a_proxy_closes_its_sockets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tunnel's socket too: its TLS handshake is the ARM host's, inside the tunnel."""
    with contextlib.ExitStack() as stack:
        port, heard = stack.enter_context(_silent_tls_server())
        proxy, _ = stack.enter_context(tunnelling_proxy(to=("127.0.0.1", port)))
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        transport = routes_for(1)
        leaked = _resource_warnings(
            _abandoned_in_the_handshake(transport, "https://management.azure.com/", heard)
        )
    assert leaked == []
