"""Which connections carry a request: the client's own, or the proxy the environment names
(``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` less ``NO_PROXY``, as curl and requests read
them); and what every request says about its sender."""

from __future__ import annotations

import asyncio
import os
import random
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reconciler import __version__
from reconciler.arm import routes
from reconciler.arm.auth import StaticToken
from reconciler.arm.client import ArmClient
from reconciler.arm.pools import Pools
from reconciler.arm.routes import Routes, routes_for
from reconciler.errors import TransportError, UsageError
from tests.e2e.conftest import EXAMPLES
from tests.fakes import FakeTime

ARM = httpx.URL("https://management.azure.com/subscriptions")


def _direct() -> httpx.AsyncBaseTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200))


class _Proxies:
    def __init__(self) -> None:
        self.made: dict[str, httpx.AsyncBaseTransport] = {}

    def __call__(self, proxy: str) -> httpx.AsyncBaseTransport:
        self.made[proxy] = _direct()
        return self.made[proxy]


@pytest.fixture(autouse=True)
def _no_proxy_of_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_without_a_proxy_in_the_environment_requests_go_direct() -> None:
    routes = Routes(direct := _direct(), _Proxies())
    assert routes.transport_for(ARM) is direct


def test_https_proxy_carries_https_requests_through_one_transport_for_every_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    routes = Routes(_direct(), proxies := _Proxies())
    first = routes.transport_for(ARM)
    other = routes.transport_for(httpx.URL("https://eastus.api.playwright.microsoft.com/x"))
    assert list(proxies.made) == ["http://proxy.corp:3128"]
    assert first is other is proxies.made["http://proxy.corp:3128"]


def test_all_proxy_serves_where_no_scheme_has_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "http://proxy.corp:3128")
    routes = Routes(_direct(), proxies := _Proxies())
    assert routes.transport_for(ARM) is proxies.made["http://proxy.corp:3128"]


@pytest.mark.parametrize(
    "no_proxy", ["management.azure.com", "localhost,.azure.com", "10.0.0.0,azure.com", "*"]
)
def test_no_proxy_sends_its_hosts_direct(monkeypatch: pytest.MonkeyPatch, no_proxy: str) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    routes = Routes(direct := _direct(), proxies := _Proxies())
    assert routes.transport_for(ARM) is direct
    assert proxies.made == {}


def test_a_proxy_this_tool_cannot_speak_is_refused_without_quoting_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks5://user:hunter2@proxy.corp:1080")
    routes = Routes(_direct(), _Proxies())
    with pytest.raises(UsageError) as refused:
        routes.transport_for(ARM)
    assert "socks5 proxy" in str(refused.value)
    assert "hunter2" not in str(refused.value) and "proxy.corp" not in str(refused.value)


def test_a_transport_given_to_the_client_is_never_proxied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tests' in-process emulator: httpx too ignores the environment then."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    _get(handler)
    assert len(seen) == 1


def _get(handler: object) -> None:
    time = FakeTime()
    client = ArmClient(
        "http://127.0.0.1",
        StaticToken("tok-canary"),
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        clock=time,
        sleep=time.sleep,
    )

    async def go() -> None:
        async with client:
            await client.request("GET", "/x", params={"api-version": "2025-09-01"})

    asyncio.run(go())


def test_a_request_names_this_tool_and_accepts_compressed_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    _get(handler)
    (request,) = seen
    assert request.url == "http://127.0.0.1/x?api-version=2025-09-01"
    assert request.headers["user-agent"].startswith(f"azureml-reconciler/{__version__} ")
    assert request.headers["accept"] == "application/json"
    assert "gzip" in request.headers["accept-encoding"]
    assert request.headers["authorization"] == "Bearer tok-canary"


async def _through_a_proxy_answering(
    status_line: bytes, monkeypatch: pytest.MonkeyPatch, time: FakeTime
) -> tuple[TransportError, int]:
    """What a GET to ARM raises when a loopback proxy named by HTTPS_PROXY (with a password
    in its URL) answers every CONNECT with ``status_line``; and how many CONNECTs it got."""
    asked: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        asked.append(await reader.readline())
        writer.write(status_line + b"\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://ci:hunter2@127.0.0.1:{port}")
    client = ArmClient(
        "https://management.azure.com",
        StaticToken("tok-canary"),
        clock=time,
        sleep=time.sleep,
        rng=random.Random(7),
    )
    async with server, client:
        with pytest.raises(TransportError) as failed:
            await client.request("GET", "/subscriptions")
    return failed.value, len(asked)


@pytest.mark.parametrize("status", [407, 403])
def test_a_proxy_refusing_the_tunnel_fails_at_once_saying_so(
    monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """Not a minute of retries ending in "no answer: ProxyError"; and never the proxy's own
    reason phrase (its text, here a CI command) nor its password."""
    time = FakeTime()
    line = f"HTTP/1.1 {status} Go away ##vso[task.setvariable variable=x]y".encode()
    error, connects = asyncio.run(_through_a_proxy_answering(line, monkeypatch, time))
    assert connects == 1 and time.slept == []
    assert (
        f"the proxy refused to carry GET /subscriptions to management.azure.com (HTTP {status}"
        in str(error)
    )
    assert "##vso" not in str(error) and "hunter2" not in str(error)


def test_a_proxy_whose_upstream_fails_is_retried_like_any_gateway(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    time = FakeTime()
    line = b"HTTP/1.1 502 Bad Gateway"
    error, connects = asyncio.run(_through_a_proxy_answering(line, monkeypatch, time))
    assert connects == 6 and len(time.slept) == 5
    assert "the proxy answered HTTP 502" in str(error)


@pytest.mark.parametrize(
    "named", ["proxy.corp:3128", "ci:hunter2@proxy.corp:3128", "10.1.2.3:3128"]
)
def test_a_proxy_named_without_a_scheme_is_an_http_proxy(
    monkeypatch: pytest.MonkeyPatch, named: str
) -> None:
    """As curl, requests and httpx read it (``HTTPS_PROXY=proxy.corp:3128`` is common); not
    refused as a "proxy.corp proxy" (or a "ci proxy", quoting the user name)."""
    monkeypatch.setenv("HTTPS_PROXY", named)
    routes = Routes(_direct(), proxies := _Proxies())
    assert routes.transport_for(ARM) is proxies.made[f"http://{named}"]


@pytest.mark.parametrize(
    "named", ["http://ci:hunter#2@proxy.corp:3128", "http://ci:hunter2@proxy.corp:31x8"]
)
def test_a_proxy_url_that_cannot_be_read_is_refused_without_quoting_it(
    monkeypatch: pytest.MonkeyPatch, named: str
) -> None:
    """A password with a ``#`` not percent-encoded: httpx's own error quotes what it took for
    the port (here the password's start), and escaped the CLI as a traceback."""
    monkeypatch.setenv("HTTPS_PROXY", named)
    with pytest.raises(UsageError) as refused:
        routes_for(1).transport_for(ARM)
    assert "hunter" not in str(refused.value) and "31x8" not in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


@pytest.mark.parametrize(
    ("no_proxy", "url", "direct"),
    [
        ("emulator.corp:8443", "https://emulator.corp:8443/x", True),
        ("10.1.2.3:8443", "https://10.1.2.3:8443/x", True),
        ("emulator.corp:8443", "https://emulator.corp:9443/x", False),
        ("emulator.corp", "https://emulator.corp:9443/x", True),
        ("fd00::1", "https://[fd00::1]:8443/x", True),
    ],
)
def test_no_proxy_may_name_a_host_with_its_port(
    monkeypatch: pytest.MonkeyPatch, no_proxy: str, url: str, direct: bool
) -> None:
    """As requests and httpx read it: ``NO_PROXY=emulator.corp:8443`` (an emulator beside a
    proxied CI job) sends that port direct, and only that one."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    routes = Routes(direct_one := _direct(), _Proxies())
    assert (routes.transport_for(httpx.URL(url)) is direct_one) is direct


def test_a_client_told_not_to_use_a_proxy_has_only_its_own_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp:3128")
    client = ArmClient("http://127.0.0.1:8080", StaticToken(), proxied=False)
    assert isinstance(client._transport, Pools)
    asyncio.run(client.close())


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:8443/x",
        "http://localhost:8080/x",
        "https://[::1]:8443/x",
        "https://127.1:8443/x",
        "https://[::ffff:127.0.0.1]:8443/x",
        "http://0.0.0.0:8080/x",
    ],
)
def test_this_machines_loopback_is_never_sent_to_a_proxy(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """No proxy can reach it, and an http:// endpoint's token and bodies would cross to the
    proxy in the clear: direct, with NO_PROXY empty (as Go's client, and Terraform, decide)."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp:3128")
    routes = Routes(direct := _direct(), proxies := _Proxies())
    assert routes.transport_for(httpx.URL(url)) is direct
    assert proxies.made == {}


def test_an_https_proxys_certificate_is_checked_against_the_clients_trust_store() -> None:
    """Its ``verify`` and SSL_CERT_FILE: a corporate proxy's CA given there is trusted for the
    proxy too (an http:// proxy takes no TLS context: httpcore refuses one)."""
    context = ssl.create_default_context()
    assert routes._proxy("https://proxy.corp:3129", context).ssl_context is context
    assert routes._proxy("http://proxy.corp:3128", context).ssl_context is None


@pytest.mark.parametrize("bundle", ["missing.pem", "empty.pem", "not-pem.pem", "."])
def test_a_ca_bundle_that_cannot_be_loaded_is_one_line_naming_ssl_cert_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bundle: str
) -> None:
    """A CI image's stale ``SSL_CERT_FILE`` (or one holding no PEM certificate) says which
    variable to fix, before any request."""
    (tmp_path / "empty.pem").write_text("")
    (tmp_path / "not-pem.pem").write_text("not a certificate\n")
    path = tmp_path / bundle
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    with pytest.raises(UsageError) as refused:
        routes_for(1)
    message = str(refused.value)
    assert message.startswith(f"cannot load the CA certificates of SSL_CERT_FILE={path}: ")
    assert "\n" not in message


PLAN = ["--secrets", "skip", "--env-file", str(EXAMPLES / "demo.env"), str(EXAMPLES)]


def test_the_process_says_which_ca_bundle_it_cannot_load(tmp_path: Path) -> None:
    """The real CLI, against the emulator it runs itself: one line, exit 1, no traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "--emulator", *PLAN],
        cwd=tmp_path,
        env={**os.environ, "SSL_CERT_FILE": str(tmp_path / "gone.pem")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot load the CA certificates of SSL_CERT_FILE=")
    assert done.stderr.count("\n") == 1, done.stderr
