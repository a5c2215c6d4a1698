"""A loopback HTTP proxy that tunnels ``CONNECT`` requests (as a corporate proxy does for
HTTPS) and remembers each request line it was sent. Given ``to``, every tunnel leads there,
whatever host it was asked for (as if that host were on the far side of the proxy)."""

from __future__ import annotations

import contextlib
import selectors
import socket
import socketserver
import threading
from collections.abc import Iterator


class _Tunnel(socketserver.BaseRequestHandler):
    server: _Proxy

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0]
        self.server.asked.append(line.decode("ascii", "replace"))
        method, target, _ = line.split(b" ", 2)
        if method != b"CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, port = target.decode().rsplit(":", 1)
        to = self.server.to or (host, int(port))
        with socket.create_connection(to, timeout=30) as upstream:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(self.request, upstream)


def _pipe(one: socket.socket, other: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    with selectors.DefaultSelector() as selector:
        selector.register(one, selectors.EVENT_READ, other)
        selector.register(other, selectors.EVENT_READ, one)
        while True:
            for key, _ in selector.select(timeout=30):
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                data = source.recv(65536)
                if not data:
                    return
                key.data.sendall(data)


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, to: tuple[str, int] | None) -> None:
        super().__init__(("127.0.0.1", 0), _Tunnel)
        self.asked: list[str] = []
        self.to = to


@contextlib.contextmanager
def tunnelling_proxy(to: tuple[str, int] | None = None) -> Iterator[tuple[str, list[str]]]:
    """Serve on a free loopback port; yields the proxy's URL and the request lines it got."""
    proxy = _Proxy(to)
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}", proxy.asked
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=10)
