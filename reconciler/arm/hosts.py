"""Which hosts may receive a request, and with it a bearer token.

The one place that decides, so the rules can be read (and tested) together:

* **Origins.** A client talks to one endpoint (scheme, host, port). Every URL it is handed
  later — a long-running operation's ``Azure-AsyncOperation`` or ``Location``, a ``nextLink``,
  a resource ``id`` — must keep that exact origin; anything else is refused before a byte or a
  token is sent. A relative reference must be a path (``/…``), never something that could be
  read as an absolute URL.
* **Loopback** is decided by what the address *is*, not how it is spelled: IPv4 in every form
  the C library accepts (``127.1``, ``0x7f.0.0.1``, ``2130706433``), IPv6 (``::1``,
  ``::ffff:127.0.0.1``), the unspecified address (``0.0.0.0`` and ``::`` connect to this
  machine), and names resolved with the system resolver (every address must be loopback).
* **Playwright audits** may only name the documented service hosts
  (``https://{region}.api.playwright.microsoft.com``) unless the command line allows another:
  a manifest comes from whoever opened the pull request, and the audit sends a token.

This module sends nothing and holds no secret.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from reconciler.errors import UnsafeUrlError, UsageError

# https://{region}.api.playwright.microsoft.com — Playwright Testing and Playwright Workspaces.
PLAYWRIGHT_HOST = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\.api\.playwright\.microsoft\.com")
PLAYWRIGHT_DOCUMENTED = "https://{region}.api.playwright.microsoft.com"


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address ``host`` denotes when it is an IP literal in any accepted spelling."""
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    try:  # inet_aton reads the short and numeric forms (127.1, 0x7f000001, 2130706433)
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except (OSError, ValueError):
        return None


def _local(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def is_loopback_host(host: str) -> bool:
    """True when every address ``host`` stands for is this machine."""
    if not host:
        return False
    literal = _ip(host)
    if literal is not None:
        return _local(literal)
    try:
        infos = socket.getaddrinfo(host.rstrip("."), None)
    except (OSError, UnicodeError):
        return False
    addresses = {_ip(str(info[4][0])) for info in infos}
    return bool(addresses) and all(a is not None and _local(a) for a in addresses)


def is_loopback_literal(host: str) -> bool:
    """True when ``host`` is this machine by its spelling alone: an IP literal in any accepted
    form, or ``localhost``. No resolver is asked: it decides a route, and a runner behind a
    proxy may be slow to resolve outside names, or refuse to."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    literal = _ip(host)
    return literal is not None and _local(literal)


def is_loopback(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return is_loopback_host(host)


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the default port filled in; raises ValueError when unparsable."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower().rstrip("."), port


def follow(base_url: str, reference: str, *, what: str) -> str:
    """The absolute URL for ``reference`` (a path or a URL from a response), or an error.

    ``what`` says where the reference came from (``nextLink``, ``Azure-AsyncOperation`` …);
    the error names it and the origins, never the path or query, which may be long or hostile.
    """
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in reference):
        # urlsplit drops a line break silently; httpx then refused the URL with a traceback.
        raise UnsafeUrlError(f"refusing {what}: not a valid URL (it holds a control character)")
    if reference.startswith("/") and not reference.startswith("//"):
        return base_url.rstrip("/") + reference
    try:
        theirs, ours = origin(reference), origin(base_url)
    except ValueError as exc:
        raise UnsafeUrlError(f"refusing {what}: not a valid URL") from exc
    if not theirs[0] or not theirs[1]:
        raise UnsafeUrlError(f"refusing {what}: not an absolute URL or a path starting with /")
    if theirs != ours:
        raise UnsafeUrlError(
            f"refusing {what} to {_show(theirs)}: requests (and their token) go only to "
            f"the endpoint in use, {_show(ours)}"
        )
    return reference


def _show(parts: tuple[str, str, int | None]) -> str:
    scheme, host, port = parts
    safe_host = re.sub(r"[^A-Za-z0-9.:\[\]_-]", "?", host)[:80]
    return f"{scheme}://{safe_host}:{port}"


def check_endpoint(url: str) -> str:
    """The endpoint, validated: https, or http on loopback only."""
    if any(c.isspace() or not c.isprintable() for c in url):
        # urlsplit drops a newline or tab silently and httpx then refuses the URL with a
        # traceback: a CI variable read from a file keeps its trailing newline.
        raise UsageError(
            f"endpoint {url!r} holds whitespace or a control character (a trailing newline?)"
        )
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise UsageError("endpoint is not a valid http(s) URL") from exc
    if parts.scheme not in ("http", "https") or not hostname:
        raise UsageError(f"endpoint {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(url):
        raise UsageError(
            f"endpoint {url!r} uses plain http; only loopback endpoints (the local emulator) "
            "may, since bearer tokens must not cross a network unencrypted"
        )
    return url.rstrip("/")


def playwright_endpoint_problem(url: str, allowed: Iterable[str] = ()) -> str | None:
    """Why a manifest may not send a Playwright token to ``url``, or None when it may.

    ``allowed``: endpoints the command line allows besides the documented hosts (the local
    emulator, a test double). Nothing in a manifest or an env file can widen this.
    """
    try:
        mine = origin(url)
        extra = {origin(a) for a in allowed}
        parts = urlsplit(url)
    except ValueError:
        return f"is not a valid URL; expected {PLAYWRIGHT_DOCUMENTED}"
    bare = parts.path in ("", "/") and not (parts.query or parts.fragment or "@" in parts.netloc)
    if bare and mine in extra:
        return None
    if bare and mine[0] == "https" and mine[2] == 443 and PLAYWRIGHT_HOST.fullmatch(mine[1]):
        return None
    return (
        f"must be a Playwright service endpoint ({PLAYWRIGHT_DOCUMENTED}); another host "
        "receives the Playwright token only when the command line allows it "
        "(--playwright-endpoint URL)"
    )
