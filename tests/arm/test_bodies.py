"""An answer's body is read as it streams in and refused once larger than the cap: declared
larger (``Content-Length``), sent larger (a body that never ends), or decoded larger (a gzip
bomb); the answer is then closed, and its connection with it."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import threading
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from reconciler.arm import bodies
from reconciler.arm.auth import StaticToken
from reconciler.arm.client import ArmClient, RetryPolicy
from reconciler.errors import UnreadableAnswer
from tests import bombs
from tests.bombs import Sent, endless, huge_length

URL = "https://management.azure.com/subscriptions/s/providers/X/workspaces?api-version=1&sig=SECRET"
KIB = 1024


class _Stream(httpx.AsyncByteStream):
    """A body arriving in ``chunks``; remembers how much of it was taken, and whether closed."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.taken = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            self.taken += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def _forever(chunk: bytes) -> Iterator[bytes]:
    while True:
        yield chunk


def _read(stream: _Stream, headers: dict[str, str] | None = None, cap: int = 64 * KIB) -> bytes:
    answer = httpx.Response(200, headers=headers, stream=stream)
    return asyncio.run(bodies.read(answer, method="GET", url=URL, request_id="rid", cap=cap))


def _pieces(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_a_body_within_the_cap_is_read_whole_and_the_answer_closed() -> None:
    stream = _Stream([b'{"value": ', b"[]}"])
    assert _read(stream) == b'{"value": []}'
    assert stream.closed


def test_a_body_of_exactly_the_cap_is_read() -> None:
    assert _read(_Stream(_pieces(b"x" * 64 * KIB)), cap=64 * KIB) == b"x" * 64 * KIB


def test_a_content_length_above_the_cap_is_refused_before_a_byte_is_read() -> None:
    stream = _Stream(_forever(b" " * KIB))
    with pytest.raises(UnreadableAnswer, match=r"10737418240 bytes by its Content-Length\) is"):
        _read(stream, {"Content-Length": str(10 << 30)})
    assert stream.taken == 0 and stream.closed


def test_an_endless_body_is_refused_just_past_the_cap_and_closed() -> None:
    stream = _Stream(_forever(b" " * KIB))
    with pytest.raises(UnreadableAnswer, match="larger than 64 KiB: refused"):
        _read(stream)
    assert stream.taken == 65 * KIB and stream.closed


def test_the_message_names_method_host_path_and_cap_never_the_query() -> None:
    with pytest.raises(UnreadableAnswer) as refused:
        _read(_Stream(_forever(b" " * KIB)))
    assert str(refused.value) == (
        "unreadable answer to GET https://management.azure.com/subscriptions/s/providers/X/"
        "workspaces: the body is larger than 64 KiB: refused (x-ms-client-request-id rid)"
    )


def test_a_gzip_bomb_is_stopped_at_the_cap_never_inflated_whole() -> None:
    bomb = bombs.bomb()  # ~64 kB, inflating to 64 MiB
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableAnswer, match="larger than 64 KiB"):
            _read(_Stream([bomb]), {"Content-Encoding": "gzip"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * len(bomb) + 4 * 64 * KIB  # the bomb itself and the cap, not 64 MiB


def test_bytes_after_a_gzip_stream_count_too() -> None:
    """zlib sets aside what follows the end of a gzip stream: counted as sent, it cannot go on
    for ever."""
    stream = _Stream(itertools.chain([gzip.compress(b"{}")], _forever(b"\0" * KIB)))
    with pytest.raises(UnreadableAnswer, match="larger than 64 KiB"):
        _read(stream, {"Content-Encoding": "gzip"})


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


BODY = b'{"value": [' + b'{"name": "ws"},' * 2000 + b"{}]}"
ENCODED = {
    "identity": BODY,
    "gzip": gzip.compress(BODY),
    "deflate": zlib.compress(BODY),  # zlib's format
    "deflate ": _raw_deflate(BODY),  # raw deflate, as some servers send it
    "deflate, gzip": gzip.compress(zlib.compress(BODY)),
    "br": b"not brotli",  # a coding httpx does not decode here: left as sent
}


@pytest.mark.parametrize("coding", sorted(ENCODED))
def test_bodies_decode_as_httpx_decodes_them(coding: str) -> None:
    headers = {"Content-Encoding": coding.strip()}
    expected = httpx.Response(200, headers=headers, content=ENCODED[coding]).content
    assert _read(_Stream(_pieces(ENCODED[coding])), headers) == expected


def test_a_body_that_does_not_decode_is_httpx_decoding_error() -> None:
    with pytest.raises(httpx.DecodingError):
        _read(_Stream([b"\x1f\x8b not gzip at all"]), {"Content-Encoding": "gzip"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0


class _Handler(BaseHTTPRequestHandler):
    """``/big`` answers too large (``big``), anything else a small answer, kept alive."""

    protocol_version = "HTTP/1.1"
    server: _Server
    big = huge_length(Sent())

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_GET(self) -> None:
        if self.path.startswith("/big"):
            self.close_connection = True
            type(self).big(self)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        """Silent."""


@pytest.mark.parametrize("writer", [huge_length, endless])
def test_a_refused_answer_is_not_retried_and_its_connection_not_reused(
    writer: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies, "MAX_BODY", 256 * KIB)
    monkeypatch.setattr(_Handler, "big", writer(sent := Sent()))  # type: ignore[operator]
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    async def go() -> None:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        retry = RetryPolicy(max_attempts=1)
        async with ArmClient(url, StaticToken(), parallelism=1, retry=retry, timeout=10) as client:
            assert (await client.request("GET", "/small")).body == {}
            with pytest.raises(UnreadableAnswer, match="larger than 256 KiB: refused"):
                await client.request("GET", "/big")
            assert (await client.request("GET", "/small")).body == {}

    try:
        asyncio.run(go())
    finally:
        server.shutdown()
        server.server_close()
    assert sent.answers == 1 and sent.completed == 0  # sent once, cut off
    # One connection for the first small answer and the refused one, a new one after it.
    assert server.connections == 2


def test_a_chain_of_codings_longer_than_five_is_refused_before_it_is_decoded() -> None:
    """Each gzip or deflate coding holds a decoder of ~35 kB once it inflates: 16,000 of them
    (``gzip, gzip, ...``, a header httpcore accepts) held half a GiB for a 700 kB answer.
    urllib3 bounds the chain at 5 since 2.6.0; so does the reader."""
    body = b"{}"
    for _ in range(50):
        body = gzip.compress(body)
    stream = _Stream(_pieces(body))
    with pytest.raises(UnreadableAnswer, match="50 content codings, more than 5: refused"):
        _read(stream, {"Content-Encoding": ", ".join(["gzip"] * 50)})
    assert stream.taken == 0 and stream.closed


def test_a_chain_of_five_codings_is_read() -> None:
    body = b"{}"
    for _ in range(5):
        body = gzip.compress(body)
    assert _read(_Stream([body]), {"Content-Encoding": ", ".join(["gzip"] * 5)}) == b"{}"
