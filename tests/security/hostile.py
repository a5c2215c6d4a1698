"""The attacker's host, on loopback: it answers everything and remembers who called.

Security tests point a manifest, an env file or a server's answer at this host and then ask it
whether any request, and any ``Authorization`` header, arrived. It stands in for
``https://attacker.example``, which the tests cannot reach (and must not: the suite is
offline).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from reconciler.emulator import Emulator
from reconciler.emulator.wire import Request, Response


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    authorization: str | None


@dataclass
class Hostile:
    url: str
    seen: list[Seen] = field(default_factory=list)

    @property
    def tokens(self) -> list[str]:
        return [s.authorization for s in self.seen if s.authorization]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.record.seen.append(
            Seen(self.command, self.path, self.headers.get("Authorization"))
        )
        payload = json.dumps({"value": [], "status": "Succeeded"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Silent."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, record: Hostile) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.record = record


@contextlib.contextmanager
def hostile_server() -> Iterator[Hostile]:
    record = Hostile("")
    server = _Server(record)
    record.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


Rewrite = Callable[[Request, Response], None]


class RewritingEmulator(Emulator):
    """The emulator, with its answers tampered with on the way out: a compromised or spoofed
    service (or a proxy) pointing links, operation URLs or resource ids at the attacker."""

    def __init__(self, rewrite: Rewrite, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rewrite = rewrite

    def handle(self, request: Request) -> Response:
        response = super().handle(request)
        if not request.path.startswith("/_emulator/"):
            self.rewrite(request, response)
        return response
