"""Answers too large to read, as a hostile or broken server sends them: a ``Content-Length`` of
10 GiB before a short body, a chunked body that goes on (up to four times the client's cap,
so that a client without a cap ends too, only later), and a gzip bomb (a few kilobytes that
inflate to twice the cap).

Each is written raw to the socket of a request an ``http.server`` handler is serving
(:class:`tests.safety.armshapes.Proxy` serves them in place of the emulator's answers), and
records what became of it: whether the client hung up before the whole body was sent.
"""

from __future__ import annotations

import functools
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from reconciler.arm.bodies import MAX_BODY

TEN_GIB = 10 * (1 << 30)
CHUNK = 64 * 1024
ENDLESS_UP_TO = 4 * MAX_BODY  # a bound of the test's own: no run of it can fill the memory
BOMB_INFLATES_TO = 2 * MAX_BODY


@dataclass
class Sent:
    """What became of the hostile answers one writer sent."""

    answers: int = 0
    completed: int = 0  # sent to the end: the client read (or at least took) every byte
    hung_up: threading.Event = field(default_factory=threading.Event)


Writer = Callable[[BaseHTTPRequestHandler], None]


def _head(handler: BaseHTTPRequestHandler, *headers: str) -> None:
    lines = ["HTTP/1.1 200 OK", "Content-Type: application/json", *headers, "", ""]
    handler.wfile.write("\r\n".join(lines).encode("ascii"))


def _sending(sent: Sent, body: Callable[[BaseHTTPRequestHandler], None]) -> Writer:
    def write(handler: BaseHTTPRequestHandler) -> None:
        sent.answers += 1
        try:
            body(handler)
            handler.wfile.flush()
        except OSError:  # the client closed the connection: it read no further
            sent.hung_up.set()
            return
        sent.completed += 1

    return write


def huge_length(sent: Sent) -> Writer:
    """``Content-Length: 10 GiB`` and 12 bytes; then the connection stays open until the
    client closes it (a client that reads on would wait for the rest until its timeout)."""

    def body(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, f"Content-Length: {TEN_GIB}")
        handler.wfile.write(b'{"value": []')
        handler.wfile.flush()
        if not handler.rfile.read(1):  # EOF: the client closed the connection
            raise ConnectionResetError

    return _sending(sent, body)


def endless(sent: Sent) -> Writer:
    """A chunked body of spaces that does not end before :data:`ENDLESS_UP_TO` bytes."""
    chunk = b"%x\r\n" % CHUNK + b" " * CHUNK + b"\r\n"

    def body(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, "Transfer-Encoding: chunked")
        handler.wfile.write(b'8\r\n{"value"\r\n')
        for _ in range(ENDLESS_UP_TO // CHUNK):
            handler.wfile.write(chunk)
        handler.wfile.write(b"0\r\n\r\n")

    return _sending(sent, body)


@functools.cache
def bomb() -> bytes:
    """gzip of a JSON object's start and :data:`BOMB_INFLATES_TO` spaces (~64 kB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [packer.compress(b'{"value": [')]
    spaces = b" " * (1 << 20)
    parts += [packer.compress(spaces) for _ in range(BOMB_INFLATES_TO >> 20)]
    return b"".join([*parts, packer.flush()])


def gzip_bomb(sent: Sent) -> Writer:
    """A small gzip body, honestly sized, that inflates to twice the cap."""

    def body(handler: BaseHTTPRequestHandler) -> None:
        payload = bomb()
        _head(handler, "Content-Encoding: gzip", f"Content-Length: {len(payload)}")
        handler.wfile.write(payload)

    return _sending(sent, body)


KINDS: dict[str, Callable[[Sent], Writer]] = {
    "content-length-10-gib": huge_length,
    "endless-chunked-body": endless,
    "gzip-bomb": gzip_bomb,
}
