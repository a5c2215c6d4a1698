"""Connections whose socket is closed when their TLS handshake does not complete, however
it ends.

httpcore closes the socket when a handshake raises an error, but not when it is cancelled
(``except Exception``): the request then loses its only handle on the socket, which stays
open until the collector finds it and warns (``unclosed <socket...>``). A request is cancelled
in its handshake whenever a command ends while it connects (``asyncio.gather`` leaves the
siblings of a failed request running, and ``asyncio.run`` cancels them), or when the client's
whole-request timeout strikes there. The network backend here wraps httpcore's own and closes
the socket on any way out of ``start_tls`` but success.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


class _Stream(httpcore.AsyncNetworkStream):
    """httpcore's stream, closed when its TLS handshake does not complete."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            stream = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        except BaseException:
            # Closing a socket stream aborts its transport before its one await: a second
            # cancellation arriving there cannot keep the socket open.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._stream.aclose()
            raise
        return _Stream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class Backend(httpcore.AsyncNetworkBackend):
    """httpcore's backend (``inner``), its streams wrapped in :class:`_Stream`."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _Stream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        return _Stream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def closing_sockets(transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
    """``transport``, its connections made through :class:`Backend` when it is httpx's own.

    httpx's transport takes no network backend; its httpcore pool (or proxy) does, and hands
    it to every connection it makes: it is set there. Any other transport (a test's) is
    returned as it is."""
    pool = getattr(transport, "_pool", None)
    if isinstance(transport, httpx.AsyncHTTPTransport) and hasattr(pool, "_network_backend"):
        pool._network_backend = Backend()  # type: ignore[union-attr]
    return transport
