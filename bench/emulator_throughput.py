"""Requests per second the emulator serves over real loopback HTTP (keep-alive).

Usage: python bench/emulator_throughput.py [--seconds S] [--connections N] [--processes P]

The emulator runs as its own process (`reconciler emulator`), as in a benchmark or CI job.
Load comes from P processes, each holding N keep-alive connections and sending pre-encoded
GETs over raw sockets, so the client costs as little CPU as possible on a 2-core machine.
Baselines measured in the same run with the same load, each answering a fixed JSON body: a
bare standard-library HTTP server (what the emulator used to be built on) and a bare ASGI app
on the same uvicorn + httptools stack the emulator runs on, i.e. the ceiling of the transport.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import selectors
import socket
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RG = "bench-rg"
SUB = "00000000-1111-2222-3333-444444444444"
PATH = (
    f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces/benchws"
)


class _Fixed(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    body = json.dumps({"id": PATH, "properties": {"provisioningState": "Succeeded"}}).encode()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # load workers hang up when their time is over


def _serve_fixed(port: int) -> None:
    _Quiet(("127.0.0.1", port), _Fixed).serve_forever()


def _serve_fixed_asgi(port: int) -> None:
    import uvicorn

    body = _Fixed.body
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    async def app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": body})  # type: ignore[operator]

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )


def _baseline(target: object, seconds: float, connections: int, processes: int) -> float:
    port = _free_port()
    server = multiprocessing.Process(target=target, args=(port,))
    server.start()
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:  # wait until it accepts connections
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            break
        except OSError:
            time.sleep(0.05)
    rate = _load(port, seconds, connections, processes)
    server.terminate()
    server.join()
    return rate


_DEPENDENCIES = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers"
_WORKSPACE = json.dumps(
    {
        "location": "eastus",
        "properties": {
            "keyVault": f"{_DEPENDENCIES}/Microsoft.KeyVault/vaults/benchkv",
            "storageAccount": f"{_DEPENDENCIES}/Microsoft.Storage/storageAccounts/benchsa",
        },
    }
).encode()


def _request(method: str, body: bytes = b"") -> bytes:
    return (
        f"{method} {PATH}?api-version=2024-04-01 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer bench\r\nContent-Length: {len(body)}\r\n"
        "Content-Type: application/json\r\n\r\n"
    ).encode() + body


def _worker(port: int, connections: int, seconds: float, out: multiprocessing.Queue) -> None:
    """Keep every connection busy: send, read one full response, send again."""
    request = _request("GET")
    selector = selectors.DefaultSelector()
    buffers: dict[socket.socket, bytes] = {}
    for _ in range(connections):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        buffers[sock] = b""
        selector.register(sock, selectors.EVENT_READ)
    done = 0
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        for key, _ in selector.select(timeout=0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            buffers[sock] += sock.recv(65536)
            head, sep, rest = buffers[sock].partition(b"\r\n\r\n")
            if not sep:
                continue
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            if len(rest) < length:
                continue
            buffers[sock] = rest[length:]
            done += 1
            sock.sendall(request)
    out.put(done)


def _load(port: int, seconds: float, connections: int, processes: int) -> float:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_worker, args=(port, connections, seconds, queue))
        for _ in range(processes)
    ]
    for w in workers:
        w.start()
    total = sum(queue.get() for _ in workers)
    for w in workers:
        w.join()
    return total / seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()

    port = _free_port()
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "emulator",
            "--port",
            str(port),
            "--resource-group",
            RG,
        ],
        stdout=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stdout is not None and "listening" in server.stdout.readline()
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(_request("PUT", _WORKSPACE))
            assert b" 202 " in sock.recv(65536)
        ours = _load(port, args.seconds, args.connections, args.processes)
        server.terminate()
    stdlib = _baseline(_serve_fixed, args.seconds, args.connections, args.processes)
    asgi = _baseline(_serve_fixed_asgi, args.seconds, args.connections, args.processes)
    print(
        f"load: {args.processes} process(es) x {args.connections} keep-alive connections, "
        f"{args.seconds:g} s"
    )
    print(f"emulator GET workspace:          {ours:,.0f} requests/s")
    print(f"bare uvicorn ASGI app (ceiling): {asgi:,.0f} requests/s")
    print(f"bare stdlib server:              {stdlib:,.0f} requests/s")
    print(f"emulator / bare uvicorn:         {ours / asgi:.2f}")


if __name__ == "__main__":
    main()
