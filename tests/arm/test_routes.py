"""Which connections carry a request: the client's own, or the proxy the environment names
(``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` less ``NO_PROXY``, as curl and requests read
them); and what every request says about its sender."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
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
from reconciler.emulator.tls import self_signed
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
    assert "the proxy 127.0.0.1:" in str(error) and "(HTTPS_PROXY) refused to carry" in str(error)
    assert f"refused to carry GET /subscriptions to management.azure.com (HTTP {status}" in str(
        error
    )
    assert "##vso" not in str(error) and "hunter2" not in str(error) and "ci:" not in str(error)


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


def _trusts(context: ssl.SSLContext, cert: Path, key: Path) -> bool:
    """Whether a client with ``context`` completes a TLS handshake with a server presenting
    ``cert`` (for localhost): in memory, no socket."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = context.wrap_bio(to_client, to_server, server_hostname="localhost")
    server = server_context.wrap_bio(to_server, to_client, server_side=True)
    for _ in range(8):
        for side in (client, server):
            try:
                side.do_handshake()
            except ssl.SSLWantReadError:
                continue
            except ssl.SSLCertVerificationError:
                return False
            if side is client:
                return True
    raise AssertionError("the handshake neither completed nor failed")


@pytest.fixture
def cas(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    """Three unrelated self-signed CAs (certificate, key), as three corporate proxies'."""
    return {name: self_signed(tmp_path / name, subject=f"CA {name}") for name in ("a", "b", "c")}


@pytest.mark.parametrize(
    ("named", "trusted"),
    [
        ({"REQUESTS_CA_BUNDLE": "a"}, "a"),
        ({"CURL_CA_BUNDLE": "a"}, "a"),
        ({"SSL_CERT_FILE": "a", "REQUESTS_CA_BUNDLE": "b", "CURL_CA_BUNDLE": "c"}, "a"),
        ({"REQUESTS_CA_BUNDLE": "b", "CURL_CA_BUNDLE": "c"}, "b"),
        ({"SSL_CERT_FILE": "", "REQUESTS_CA_BUNDLE": "b"}, "b"),
        ({"SSL_CERT_FILE": "a", "REQUESTS_CA_BUNDLE": "gone.pem"}, "a"),
    ],
)
def test_the_trust_store_is_the_first_ca_bundle_set(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cas: dict[str, tuple[Path, Path]],
    named: dict[str, str],
    trusted: str,
) -> None:
    """SSL_CERT_FILE, else REQUESTS_CA_BUNDLE (what a runner behind a TLS-inspecting proxy
    sets for the Azure CLI), else CURL_CA_BUNDLE; an empty one is not set, and one after the
    first set is not read (a stale one there is no error)."""
    for name, ca in named.items():
        monkeypatch.setenv(name, str(cas[ca][0]) if ca in cas else ca and str(tmp_path / ca))
    context = routes.trust_store()
    assert {ca for ca, pair in cas.items() if _trusts(context, *pair)} == {trusted}


def test_a_requests_ca_bundle_may_be_a_directory_as_requests_reads_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cas: dict[str, tuple[Path, Path]]
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(_hashed_directory(tmp_path, cas["a"][0])))
    assert _trusts(routes.trust_store(), *cas["a"])


def _hashed_directory(tmp_path: Path, cert: Path) -> Path:
    """A directory OpenSSL looks certificates up in (``capath``): each under its subject's
    hash, as ``openssl rehash`` names them."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to name a certificate by its subject hash")
    digest = subprocess.run(
        [openssl, "x509", "-noout", "-subject_hash", "-in", str(cert)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    directory = tmp_path / "certs"
    directory.mkdir()
    shutil.copy(cert, directory / f"{digest}.0")
    return directory


@pytest.mark.parametrize("bundle", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", None])
def test_ssl_cert_dir_is_trusted_too_as_openssl_reads_it(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cas: dict[str, tuple[Path, Path]],
    bundle: str | None,
) -> None:
    """What worked before keeps working: an image's SSL_CERT_DIR (its system CAs, or a
    proxy's CA put there) is trusted beside whichever bundle is named, as OpenSSL reads the
    pair; alone, it is all that is trusted, as before."""
    monkeypatch.setenv("SSL_CERT_DIR", str(_hashed_directory(tmp_path, cas["a"][0])))
    if bundle is not None:
        monkeypatch.setenv(bundle, str(cas["b"][0]))
    context = routes.trust_store()
    expected = {"a", "b"} if bundle else {"a"}
    assert {ca for ca, pair in cas.items() if _trusts(context, *pair)} == expected


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
@pytest.mark.parametrize("bundle", ["missing.pem", "empty.pem", "not-pem.pem"])
def test_a_ca_bundle_that_cannot_be_loaded_is_one_line_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bundle: str, variable: str
) -> None:
    """A CI image's stale bundle (or one holding no PEM certificate) says which variable to
    fix, before any request; never the file's content."""
    (tmp_path / "empty.pem").write_text("")
    (tmp_path / "not-pem.pem").write_text("not a certificate canary-7d1e\n")
    path = tmp_path / bundle
    monkeypatch.setenv(variable, str(path))
    with pytest.raises(UsageError) as refused:
        routes_for(1)
    message = str(refused.value)
    assert message.startswith(f"cannot load the CA certificates of {variable}={path}: ")
    assert "\n" not in message and "canary-7d1e" not in message


def test_ssl_cert_file_naming_a_directory_cannot_be_loaded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """OpenSSL reads SSL_CERT_FILE as a file (SSL_CERT_DIR names a directory)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path))
    with pytest.raises(UsageError, match=f"of SSL_CERT_FILE={tmp_path}: "):
        routes_for(1)


@pytest.mark.parametrize(
    ("named", "said"),
    [
        ({}, "no CA bundle is set (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE)"),
        ({"REQUESTS_CA_BUNDLE": "/ci/corp.pem"}, "not in the CA bundle REQUESTS_CA_BUNDLE"),
        ({"CURL_CA_BUNDLE": "/ci/corp.pem"}, "not in the CA bundle CURL_CA_BUNDLE"),
        (
            {"SSL_CERT_FILE": "/ci/corp.pem", "REQUESTS_CA_BUNDLE": "/ci/other.pem"},
            "not in the CA bundle SSL_CERT_FILE names (/ci/corp.pem)",
        ),
        (
            {"SSL_CERT_DIR": "/etc/ssl/certs"},
            "no CA bundle is set (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE), and the "
            "CA that issued it is not in SSL_CERT_DIR (/etc/ssl/certs)",
        ),
        (
            {"REQUESTS_CA_BUNDLE": "/ci/corp.pem", "SSL_CERT_DIR": "/etc/ssl/certs"},
            "names (/ci/corp.pem) nor in SSL_CERT_DIR (/etc/ssl/certs)",
        ),
    ],
)
def test_an_untrusted_certificate_names_the_bundle_that_was_used(
    monkeypatch: pytest.MonkeyPatch, named: dict[str, str], said: str
) -> None:
    """Not "set SSL_CERT_FILE" to a user whose REQUESTS_CA_BUNDLE was read and lacks the CA:
    which variable was used, or that none was."""
    for name, value in named.items():
        monkeypatch.setenv(name, value)
    text = routes.untrusted("management.azure.com", "self-signed certificate")
    assert text.startswith("management.azure.com presented a certificate this machine does not")
    assert said in text
    assert "/ci/other.pem" not in text and "\n" not in text


PLAN = ["--secrets", "skip", "--env-file", str(EXAMPLES / "demo.env"), str(EXAMPLES)]


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_the_process_says_which_ca_bundle_it_cannot_load(tmp_path: Path, variable: str) -> None:
    """The real CLI, against the emulator it runs itself: one line, exit 1, no traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "--emulator", *PLAN],
        cwd=tmp_path,
        env={**os.environ, variable: str(tmp_path / "gone.pem")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: cannot load the CA certificates of {variable}=")
    assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"HTTPS_PROXY": "http://ci:hunter2@proxy.corp:3128"}, "proxy.corp:3128 (HTTPS_PROXY)"),
        ({"https_proxy": "http://proxy.corp:3128"}, "proxy.corp:3128 (https_proxy)"),
        ({"HTTPS_PROXY": "ci:hunter2@proxy.corp:3128"}, "proxy.corp:3128 (HTTPS_PROXY)"),
        ({"ALL_PROXY": "http://proxy.corp"}, "proxy.corp:80 (ALL_PROXY)"),
        ({"HTTPS_PROXY": "https://ci:hunter2@proxy.corp"}, "https://proxy.corp:443 (HTTPS_PROXY)"),
        ({"HTTPS_PROXY": "http://[fd00::1]:3128"}, "[fd00::1]:3128 (HTTPS_PROXY)"),
    ],
)
def test_a_proxy_is_named_by_where_it_listens_and_its_variable(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], named: str
) -> None:
    """What an error says of the proxy a request went through: never its URL (user name and
    password), but which of the variables to fix."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    routes = Routes(_direct(), _Proxies())
    routes.transport_for(ARM)
    assert str(routes.via(ARM)) == named
    assert routes.via(httpx.URL("https://127.0.0.1:8443/x")) is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_proxy_that_is_down_is_what_the_error_and_the_retries_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not "no answer from management.azure.com: connection refused", which sends users to
    debug Azure. Retried as any refused connection (a proxy restarting), said out loud."""
    port = _closed_port()
    monkeypatch.setenv("HTTPS_PROXY", f"http://ci:hunter2@127.0.0.1:{port}")
    time, said = FakeTime(), []
    client = ArmClient(
        "https://management.azure.com",
        StaticToken("tok-canary"),
        clock=time,
        sleep=time.sleep,
        notify=said.append,
    )

    async def go() -> None:
        async with client:
            await client.request("GET", "/subscriptions")

    with pytest.raises(TransportError) as failed:
        asyncio.run(go())
    proxy = f"could not connect to the proxy 127.0.0.1:{port} (HTTPS_PROXY): connection refused"
    assert str(failed.value).startswith(f"{proxy}, after 3 attempt(s) to send GET /subscriptions")
    assert time.slept == [0.5, 1.0]
    assert [line.split(";")[0] for line in said] == [f"{proxy} (GET /subscriptions)"] * 2
    assert all("hunter2" not in text and "ci:" not in text for text in [*said, str(failed.value)])


def test_a_failure_past_the_proxy_names_the_proxy_it_went_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A proxy that opens the tunnel and hangs up was reached: not "could not connect to the
    proxy", but ARM's host was not reached either; the proxy is named beside it."""
    time = FakeTime()
    error, connects = asyncio.run(
        _through_a_proxy_answering(b"HTTP/1.1 200 Connection established", monkeypatch, time)
    )
    assert connects == 3
    assert str(error).startswith("no answer from management.azure.com through the proxy 127.0.0.1:")
    assert "(HTTPS_PROXY) for GET /subscriptions after 3 attempt(s)" in str(error)
    assert "could not connect" not in str(error) and "hunter2" not in str(error)
