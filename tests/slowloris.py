"""A loopback server that answers every request with a 200 whose body trickles in one byte
every 50 ms, for at most a few seconds: the "slow-loris" answer a broken proxy gives."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator


@contextlib.contextmanager
def slow_loris(*, lasts: float = 3.0) -> Iterator[str]:
    """Serve on a free loopback port; yields the base URL. Each connection is held for at
    most ``lasts`` seconds, so that even a client without a total timeout gets to the end."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)  # accept() wakes up to notice the stop
    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                conn.sendall(b"Content-Length: 100000\r\n\r\n")
                ends = time.monotonic() + lasts
                while not stop.is_set() and time.monotonic() < ends:
                    conn.sendall(b" ")
                    stop.wait(0.05)
            except OSError:
                return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()
