"""Serve the emulator over real loopback HTTP(S) with uvicorn, or hand it to httpx in-process.

The same ASGI app (:class:`reconciler.emulator.asgi.EmulatorApp`) runs in both: uvicorn with
its httptools parser (keep-alive, a listen backlog of 2,048, chunked bodies, TCP_NODELAY) on a
loopback socket, and ``httpx.ASGITransport`` for async clients in-process. Sync in-process
clients get the same framing rules through :func:`_sync_answer` (a sync client may be called
from inside a running event loop, where the async app cannot be driven).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from reconciler.emulator.app import Emulator
from reconciler.emulator.asgi import (
    MAX_BODY_BYTES,
    ConnectionDropped,
    EmulatorApp,
    answer,
    bad_content_length,
    invalid_http,
    too_large,
)
from reconciler.emulator.wire import Request, Response

BACKLOG = 2048


class _ArmHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering requests its parser refuses (a malformed
    ``Content-Length``, a broken request line) with an ARM-shaped body instead of plain text."""

    def send_400_response(self, msg: str) -> None:
        self.transport.write(invalid_http(msg))
        self.transport.close()


class _Server(uvicorn.Server):
    """A uvicorn server that says when it is listening (no polling, no sleeping)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self.on_ready: Callable[[], None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.on_ready is not None and not self.should_exit:
            self.on_ready()
        self.ready.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Close idle keep-alive connections at once (a TLS close would wait for the client's
        answer to close_notify), let answers in flight finish, then cut what is left."""
        self._abort(idle_only=True)
        await super().shutdown(sockets)
        self._abort(idle_only=False)

    def _abort(self, *, idle_only: bool) -> None:
        for connection in list(self.server_state.connections):
            cycle = getattr(connection, "cycle", None)
            transport = getattr(connection, "transport", None)
            idle = cycle is None or cycle.response_complete
            if transport is not None and (idle or not idle_only):
                transport.abort()


class EmulatorServer:
    """A bound loopback socket and the uvicorn server that will serve it."""

    def __init__(
        self,
        emulator: Emulator,
        host: str = "127.0.0.1",
        port: int = 0,
        certificate: tuple[Path, Path] | None = None,
    ) -> None:
        if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
            raise ValueError("the emulator serves loopback addresses only")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP given explicitly: asyncio sets TCP_NODELAY on accepted connections only
        # for sockets that say so, and without it every keep-alive answer waits ~40 ms for the
        # client's delayed ACK.
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError:
            self.socket.close()
            raise
        bound_host, bound_port = self.socket.getsockname()[:2]
        shown = f"[{bound_host}]" if family == socket.AF_INET6 else bound_host
        self.base_url = f"{'https' if certificate else 'http'}://{shown}:{bound_port}"
        options: dict[str, Any] = {}
        if certificate:
            options = {"ssl_certfile": str(certificate[0]), "ssl_keyfile": str(certificate[1])}
        config = uvicorn.Config(
            EmulatorApp(emulator),
            http=_ArmHttpProtocol,
            lifespan="off",
            access_log=False,
            log_config=None,
            log_level="warning",
            backlog=BACKLOG,
            timeout_keep_alive=30,
            # on stop, requests still sleeping on the latency knob get this long to finish
            timeout_graceful_shutdown=1,
            server_header=False,
            date_header=True,
            **options,
        )
        self.server = _Server(config)

    def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serve until :meth:`stop` (or Ctrl-C in the main thread).

        ``on_ready`` runs once the socket is served and uvicorn handles Ctrl-C: a banner
        printed from there is a promise that Ctrl-C stops the server. Printed any earlier, a
        Ctrl-C that follows it at once lands in asyncio's start-up and can leave the server
        serving with nobody to stop it.
        """
        self.server.on_ready = on_ready
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()

    def stop(self) -> None:
        self.server.should_exit = True


def make_server(
    emulator: Emulator,
    host: str = "127.0.0.1",
    port: int = 0,
    certificate: tuple[Path, Path] | None = None,
) -> EmulatorServer:
    return EmulatorServer(emulator, host, port, certificate)


@contextlib.contextmanager
def running(
    emulator: Emulator,
    certificate: tuple[Path, Path] | None = None,
) -> Iterator[str]:
    """Serve on a free loopback port for the duration of the block; yield its URL."""
    server = make_server(emulator, certificate=certificate)
    thread = threading.Thread(target=server.serve_forever, name="emulator", daemon=True)
    thread.start()
    try:
        if not server.server.ready.wait(timeout=30):
            raise RuntimeError("the emulator server did not start")
        yield server.base_url
    finally:
        server.stop()
        thread.join(timeout=10)


def _sync_answer(emulator: Emulator, request: httpx.Request) -> Response:
    """What the ASGI app answers, for a request whose body httpx has already read."""
    declared = request.headers.get("content-length")
    if declared is not None and not declared.strip().isdigit():
        return bad_content_length(declared)
    body = request.read()
    if len(body) > MAX_BODY_BYTES:
        return too_large()
    if emulator.knobs.latency_ms > 0:
        emulator.sleep(emulator.knobs.latency_ms / 1000.0)
    base_url = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
    return answer(
        emulator,
        Request.build(
            request.method,
            request.url.raw_path.decode("ascii"),
            dict(request.headers),
            body,
            base_url,
        ),
    )


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """In-process transport for sync and async httpx clients; no sockets.

    Async requests run the ASGI app through ``httpx.ASGITransport``; a drop surfaces as
    ``httpx.RemoteProtocolError``, as it does over a socket.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._asgi = httpx.ASGITransport(app=EmulatorApp(emulator))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = _sync_answer(self.emulator, request)
        if response.drop_connection:
            raise _dropped(request)
        return httpx.Response(response.status, headers=response.headers, content=response.encoded())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._asgi.handle_async_request(request)
        except ConnectionDropped as exc:
            raise _dropped(request) from exc


def _dropped(request: httpx.Request) -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError(
        "server disconnected without sending a complete response", request=request
    )


def transport(emulator: Emulator) -> EmulatorTransport:
    """An in-process httpx transport: unit tests talk to the emulator without sockets.

    Links the emulator writes (nextLink, Location, Azure-AsyncOperation) point at the host the
    request was sent to, as a real server's do.
    """
    return EmulatorTransport(emulator)
