"""Why a request got no answer, in words a user can act on: the transport's exceptions
read for their cause (refused, unreachable, a TLS alert, an untrusted certificate, a proxy's
refusal), never quoted (their text may hold a URL's query).

Apart from the client that raises them so that what is permanent (a certificate, an alert, a
proxy that forbids the host) is decided in one place, beside the words for it."""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

import httpx

from reconciler.arm.routes import Via, untrusted


def permanent(
    exc: BaseException, host: str, where: str, proxy: Via | None, retry_statuses: frozenset[int]
) -> str | None:
    """What to say of a failure no retry can mend, said at once rather than after a minute of
    retries; None for one worth another try."""
    problem = untrusted_certificate(exc)
    if problem is not None:
        return untrusted(host, problem)
    alert = alerted(exc)
    if alert is not None and alert.endswith(REFUSING_ALERTS):
        # The server wants a client certificate, a TLS version or a cipher this side does not
        # offer: it wants the same a second later.
        return f"{host} refused {where}: {alert}"
    status = proxy_status(exc)
    if status is not None and status not in retry_statuses:
        # A proxy that refuses the tunnel (407 wants credentials, 403 forbids the host)
        # refuses it again.
        return (
            f"the proxy{f' {proxy}' if proxy else ''} refused to carry {where} to {host} "
            f"(HTTP {status} from the proxy{PROXY_HINTS.get(status, '')})"
        )
    return None


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it was raised from or during, outermost first: httpx wraps the
    socket's and the ssl module's errors, which say what happened."""
    cause: BaseException | None = exc
    while cause is not None:
        yield cause
        cause = cause.__cause__ or cause.__context__


def untrusted_certificate(exc: BaseException) -> str | None:
    """The TLS verification failure behind a transport error, if that is what it is.

    Retrying cannot fix it, and "no answer" would send the user looking for a network fault.
    """
    for cause in causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return str(cause.verify_message or cause.reason or cause)
    return None


PROXY_HINTS = {
    407: ": it asks for credentials, which go in its URL, http://USER:PASSWORD@HOST:PORT",
    403: ": it does not allow this host",
}


def proxy_status(exc: BaseException) -> int | None:
    """The HTTP status with which a proxy refused to open a tunnel, if that is what failed.

    httpcore words it "<status> <reason>"; only the number is kept (the reason phrase is the
    proxy's text, not ours to print)."""
    if not isinstance(exc, httpx.ProxyError):
        return None
    words = str(exc).split(" ", 1)
    return int(words[0]) if words[0].isdigit() and len(words[0]) == 3 else None


def through(host: str, proxy: Via | None) -> str:
    return host if proxy is None else f"{host} through the proxy {proxy}"


def unreached(exc: BaseException) -> str | None:
    """Why a connection could not be made at all, when its cause says so unmistakably: then
    no byte reached the far end (a TLS handshake that failed did reach it).

    A host with several addresses (``localhost``: ::1 and 127.0.0.1) fails from a group of
    attempts (anyio's): named only when every one of them says why, each reason once."""
    for cause in causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "its host name does not resolve"
        if isinstance(cause, OSError) and cause.errno in UNREACHABLE:
            return UNREACHABLE[cause.errno]
        if isinstance(cause, BaseExceptionGroup):
            each = [unreached(attempt) for attempt in cause.exceptions]
            if not each or None in each:
                return None
            return ", ".join(dict.fromkeys(r for r in each if r is not None))
    return None


def hung_up(exc: BaseException) -> str | None:
    for cause in causes(exc):
        if isinstance(cause, ssl.SSLEOFError | ConnectionResetError):
            return "the connection was closed before its TLS handshake completed"
        if isinstance(cause, ssl.SSLError) and cause.reason in NOT_TLS:
            # The usual cause: https:// given for a plain-http port (the emulator's default).
            return "the server does not speak TLS there (an http:// endpoint given as https://?)"
    return None


def alerted(exc: BaseException) -> str | None:
    """The TLS alert with which the server rejected this client, in OpenSSL's words (a client
    certificate it requires, a TLS version or cipher this side does not offer): it was
    reached, so "could not be made" would send the user to look for a firewall."""
    for cause in causes(exc):
        if isinstance(cause, ssl.SSLError) and "_ALERT_" in (cause.reason or ""):
            return f"the TLS handshake failed: the server sent the alert {cause.reason}"
    return None


# Alerts with which a server refuses what this client offers (a certificate it requires or
# rejects, a TLS version, a cipher, a name, a protocol): it refuses the same a second later.
# Others (a corrupted record from a flaky middlebox, an internal error) are worth another try.
REFUSING_ALERTS = tuple(
    f"_ALERT_{name}"
    for name in (
        "HANDSHAKE_FAILURE",
        "CERTIFICATE_REQUIRED",
        "PROTOCOL_VERSION",
        "BAD_CERTIFICATE",
        "UNSUPPORTED_CERTIFICATE",
        "CERTIFICATE_REVOKED",
        "CERTIFICATE_EXPIRED",
        "CERTIFICATE_UNKNOWN",
        "UNKNOWN_CA",
        "ACCESS_DENIED",
        "INSUFFICIENT_SECURITY",
        "UNRECOGNIZED_NAME",
        "NO_APPLICATION_PROTOCOL",
    )
)

# OpenSSL's words for a first answer that is no TLS record (plain HTTP, most often).
NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE"})

UNREACHABLE = {errno.EHOSTUNREACH: "host unreachable", errno.ENETUNREACH: "network unreachable"}


def transport_reason(exc: BaseException, timeout: float) -> str:
    """What went wrong, in words; never the exception's text (it may quote a URL's query)."""
    status = proxy_status(exc)
    if status is not None:
        return f"the proxy answered HTTP {status}"
    if isinstance(exc, httpx.ConnectError):
        # Refused and unreachable reach no server; a hang-up in the TLS handshake did (a load
        # balancer with no backend, a port speaking something else).
        reason = unreached(exc) or hung_up(exc) or alerted(exc)
        return reason or "the connection could not be made"
    # TLS 1.3 rejects a client that sent no certificate after its handshake: at the first read.
    if (alert := alerted(exc)) is not None:
        return alert
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"timed out: no complete answer within {timeout:g} s"
    return type(exc).__name__
