"""Serve the emulator over real loopback HTTP(S), or hand it to httpx in-process.

The server is the standard library's threading HTTP/1.1 server with keep-alive: no extra
dependency, and one thread per connection lets the latency knob sleep without stalling others.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from reconciler.emulator.app import Emulator
from reconciler.emulator.wire import Request


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on, the client's
    # delayed ACK holds every keep-alive response back ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request.build(
            self.command, self.path, dict(self.headers.items()), body, self.server.base_url
        )
        response = self.server.emulator.handle(request)
        if response.drop_connection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = response.encoded()
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Silent: request logs would include query strings, and tests read stderr."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-request is normal under load; anything else is not."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def __init__(self, address: tuple[str, int], emulator: Emulator, scheme: str) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator
        host, port = self.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        self.base_url = f"{scheme}://{host_text}:{port}"


def make_server(
    emulator: Emulator,
    host: str = "127.0.0.1",
    port: int = 0,
    certificate: tuple[Path, Path] | None = None,
) -> _Server:
    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        raise ValueError("the emulator serves loopback addresses only")
    server = _Server((host, port), emulator, "https" if certificate else "http")
    if certificate:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(certificate[0]), str(certificate[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    return server


@contextlib.contextmanager
def running(
    emulator: Emulator,
    certificate: tuple[Path, Path] | None = None,
) -> Iterator[str]:
    """Start a server on a free loopback port for the duration of the block; yield its URL."""
    server = make_server(emulator, certificate=certificate)
    # A short poll interval: shutdown() waits for it, and tests start many servers.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="emulator", daemon=True
    )
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def transport(emulator: Emulator) -> httpx.MockTransport:
    """An in-process httpx transport: unit tests talk to the emulator without sockets.

    Links the emulator writes (nextLink, Location, Azure-AsyncOperation) point at the host the
    request was sent to, as a real server's do.
    """

    def handle(request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode("ascii")
        base_url = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        response = emulator.handle(
            Request.build(request.method, target, dict(request.headers), request.read(), base_url)
        )
        if response.drop_connection:
            raise httpx.RemoteProtocolError(
                "server disconnected without sending a response", request=request
            )
        return httpx.Response(response.status, headers=response.headers, content=response.encoded())

    return httpx.MockTransport(handle)
