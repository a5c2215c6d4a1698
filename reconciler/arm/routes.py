"""Which connections carry a request (the client's own, or the proxy the environment names),
and which certificates they trust: the CA bundle, and what an untrusted one's error says.

CI runners often reach Azure only through a proxy (``HTTPS_PROXY``, with ``NO_PROXY`` for the
hosts inside). httpx's client reads those variables only when it builds its own transport;
this client brings its own (:mod:`reconciler.arm.pools`), so it reads them here, through the
standard library's reading of the environment (``urllib.request``, as requests does): the
scheme's variable, else ``ALL_PROXY``, less the hosts ``NO_PROXY`` lists. A transport given
by the caller (the tests' in-process emulator) is used as it is, never proxied, as httpx does.
"""

from __future__ import annotations

import os
import ssl
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from reconciler.arm import hosts
from reconciler.arm.pools import pools_for
from reconciler.arm.sockets import closing_sockets
from reconciler.errors import UsageError

PROXIED_SCHEMES = ("http", "https")  # of the proxy's own URL: what httpx speaks without extras


def proxy_for(scheme: str, host: str, port: int | None = None) -> str | None:
    """The proxy the environment names for requests to ``scheme://host[:port]``, if any.

    ``NO_PROXY`` may name a host with its port (``localhost:8443``), as requests and httpx
    read it: urllib matches one only against a host given with its port.

    One named without a scheme (``proxy.corp:3128``) is an http:// proxy, as curl, requests
    and httpx read it (``urlsplit`` would take ``proxy.corp`` for its scheme)."""
    named = _named_proxy(scheme, host, port)
    return None if named is None else named[0]


def _named_proxy(scheme: str, host: str, port: int | None) -> tuple[str, str] | None:
    """:func:`proxy_for`'s proxy, and the variable it came from (errors name it)."""
    if hosts.is_loopback_literal(host):
        # No proxy can reach this machine's loopback: a request to it sent through one would
        # carry its token and body (in the clear, to an http:// endpoint) to a machine that
        # cannot deliver them. Never proxied, whatever NO_PROXY says (as Go's HTTP client,
        # and with it Terraform, decides).
        return None
    proxies = urllib.request.getproxies_environment()
    key = scheme if proxies.get(scheme) else "all"
    proxy = proxies.get(key)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    if port is not None and urllib.request.proxy_bypass(f"{host}:{port}"):
        return None
    return (proxy if "://" in proxy else f"http://{proxy}"), _variable(f"{key}_proxy", proxy)


def _variable(lower: str, value: str) -> str:
    """The variable urllib read ``value`` from: ``https_proxy`` over ``HTTPS_PROXY``, as it
    reads them (either spelling, whichever holds the value)."""
    if os.environ.get(lower) == value:
        return lower
    same = [name for name in os.environ if name.lower() == lower and os.environ[name] == value]
    return same[0] if same else lower.upper()


@dataclass(frozen=True)
class Via:
    """A proxy as errors name it: where it listens and the variable naming it; never its URL
    (it may carry a user name and password)."""

    address: str  # host:port, https://host:port for an https:// proxy
    variable: str

    def __str__(self) -> str:
        return f"{self.address} ({self.variable})"

    @classmethod
    def of(cls, url: httpx.URL, variable: str) -> Via:
        host = f"[{url.host}]" if ":" in url.host else url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        return cls(f"{'https://' if url.scheme == 'https' else ''}{host}:{port}", variable)


class Routes(httpx.AsyncBaseTransport):
    """The direct transport, or a proxy's, chosen once per scheme, host and port."""

    def __init__(
        self,
        direct: httpx.AsyncBaseTransport,
        through: Callable[[str], httpx.AsyncBaseTransport],
    ) -> None:
        self.direct = direct
        self._through = through
        self._proxies: dict[str, httpx.AsyncBaseTransport] = {}
        self._by_origin: dict[tuple[str, str, int | None], httpx.AsyncBaseTransport] = {}
        self._via: dict[tuple[str, str, int | None], Via] = {}

    def transport_for(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        origin = (url.scheme, url.host, url.port)
        transport = self._by_origin.get(origin)
        if transport is None:
            transport = self._by_origin[origin] = self._route(*origin)
        return transport

    def via(self, url: httpx.URL) -> Via | None:
        """The proxy requests to ``url`` went through, if they went through one."""
        return self._via.get((url.scheme, url.host, url.port))

    def _route(self, scheme: str, host: str, port: int | None) -> httpx.AsyncBaseTransport:
        named = _named_proxy(scheme, host, port)
        if named is None:
            return self.direct
        proxy, variable = named
        if proxy not in self._proxies:
            # Never the proxy's URL itself, nor httpx's words on it: it may carry a user name
            # and password.
            try:
                kind = httpx.URL(proxy).scheme or "no scheme"
            except httpx.InvalidURL:
                raise UsageError(
                    f"the proxy the environment names for {scheme}://{host} is not a URL this "
                    "tool can read (characters such as # / ? @ in its user name or password "
                    "go percent-encoded: %23 %2F %3F %40)"
                ) from None
            if kind not in PROXIED_SCHEMES:
                raise UsageError(
                    f"the proxy the environment names for {scheme}://{host} is a {kind} "
                    f"proxy; this tool speaks to http:// and https:// proxies only"
                )
            self._proxies[proxy] = self._through(proxy)
        self._via[scheme, host, port] = Via.of(httpx.URL(proxy), variable)
        return self._proxies[proxy]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.transport_for(request.url).handle_async_request(request)

    async def aclose(self) -> None:
        for transport in (self.direct, *self._proxies.values()):
            await transport.aclose()


def via(transport: httpx.AsyncBaseTransport, url: httpx.URL) -> Via | None:
    """The proxy ``transport`` sent requests to ``url`` through, if any (a transport given by
    the caller, or the client's own pools alone, send none through one)."""
    return transport.via(url) if isinstance(transport, Routes) else None


def routes_for(
    connections: int, *, verify: bool | str = True, proxied: bool = True
) -> httpx.AsyncBaseTransport:
    """``connections`` of this client's own (in small pools), and as many through any proxy
    the environment names; one trust store for all (:func:`trust_store`; loading it takes
    ~20 ms of CPU).

    ``proxied=False``: the client's own only, whatever the environment names (the emulator
    this process serves on its loopback, which no proxy can reach)."""
    context = trust_store(verify)
    direct = pools_for(connections, verify=context)
    if not proxied:
        return direct
    return Routes(
        direct,
        lambda proxy: closing_sockets(
            httpx.AsyncHTTPTransport(
                proxy=_proxy(proxy, context),
                verify=context,
                limits=httpx.Limits(max_connections=connections),
            )
        ),
    )


def _proxy(url: str, context: ssl.SSLContext) -> httpx.Proxy:
    """An https:// proxy's own certificate is checked against the client's trust store (its
    ``verify``, the CA bundle the environment names), not only the default one."""
    if httpx.URL(url).scheme == "https":
        return httpx.Proxy(url, ssl_context=context)
    return httpx.Proxy(url)


# Where a CA bundle is named, the first set (and non-empty) one read. SSL_CERT_FILE first: it
# is what OpenSSL, Python and httpx read, so one set for them was set for this tool too.
# Then what requests reads, in its order: REQUESTS_CA_BUNDLE (so the Azure CLI, which a runner
# behind a TLS-inspecting proxy sets it for), then CURL_CA_BUNDLE. None: certifi's bundle.
CA_BUNDLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
CA_DIRECTORY = "SSL_CERT_DIR"


def ca_bundle() -> tuple[str, str] | None:
    """The variable naming the CA bundle to trust, and the path it names; None when none is
    set (an empty one is not set, as requests reads them)."""
    for name in CA_BUNDLES:
        if value := os.environ.get(name):
            return name, value
    return None


def trust_store(verify: bool | str = True) -> ssl.SSLContext:
    """The TLS context of every connection: ``verify``'s certificates when given (a path, or
    False), else those of the first CA bundle :data:`CA_BUNDLES` names, with those in the
    directory ``SSL_CERT_DIR`` names beside them (as OpenSSL reads the pair; before, httpx
    read it alone when SSL_CERT_FILE was unset, which keeps working), else certifi's.

    httpx reads SSL_CERT_FILE and SSL_CERT_DIR only: a runner that set REQUESTS_CA_BUNDLE so
    that ``az`` trusts its proxy got "certificate not trusted" from this tool. A bundle that
    cannot be loaded (a path left from another machine, an empty or non-PEM file) is one line
    naming its variable, not a traceback from the ssl module (nor the file's content)."""
    if verify is not True:
        try:
            return httpx.create_ssl_context(verify=verify)
        except OSError as exc:  # ssl.SSLError is one
            raise _unloadable(str(verify), exc) from exc
    named = ca_bundle()
    directory = os.environ.get(CA_DIRECTORY) or None
    if named is None and directory is None:
        return httpx.create_ssl_context(trust_env=False)  # certifi's
    if named is None:
        return ssl.create_default_context(capath=directory)
    name, path = named
    # requests reads a directory as OpenSSL's capath; OpenSSL reads SSL_CERT_FILE as a file.
    folder = name != "SSL_CERT_FILE" and Path(path).is_dir()
    try:
        context = (
            ssl.create_default_context(capath=path)
            if folder
            else ssl.create_default_context(cafile=path)
        )
    except OSError as exc:  # ssl.SSLError is one
        raise _unloadable(f"{name}={path}", exc) from exc
    if directory is not None:
        context.load_verify_locations(capath=directory)
    return context


def _unloadable(source: str, exc: OSError) -> UsageError:
    reason = exc.strerror or getattr(exc, "reason", None) or str(exc)
    return UsageError(
        f"cannot load the CA certificates of {source}: {reason}; point it at a PEM file "
        "of the certificates to trust (a corporate proxy's CA, the emulator's "
        "certificate), or unset it to trust the usual public CAs"
    )


def untrusted(host: str, problem: str) -> str:
    """An untrusted certificate in words that say which certificates were trusted (the
    variable read, or that none was set) and what to set. Behind a corporate proxy that
    inspects TLS, the certificate is the proxy's: the user must learn which of the variables
    set for other tools (``az`` reads REQUESTS_CA_BUNDLE) this one read."""
    named = ca_bundle()
    directory = os.environ.get(CA_DIRECTORY)
    if named is None:
        text = f"no CA bundle is set ({', '.join(CA_BUNDLES)})"
        text += (
            f", and the CA that issued it is not in {CA_DIRECTORY} ({directory})"
            if directory
            else ", so only the usual public CAs are trusted"
        )
        advice = (
            "set SSL_CERT_FILE (or REQUESTS_CA_BUNDLE, as for the Azure CLI) to a PEM file "
            "holding that CA"
        )
    else:
        name, path = named
        text = f"the CA that issued it is not in the CA bundle {name} names ({path})"
        if directory:
            text += f" nor in {CA_DIRECTORY} ({directory})"
        advice = f"add that CA to it, or point {name} at a PEM file holding it"
    return (
        f"{host} presented a certificate this machine does not trust ({problem}): {text}; "
        f"{advice} (a corporate proxy's CA; for the emulator's --https certificate, the path "
        "it printed)"
    )
