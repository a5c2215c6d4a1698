"""Reading an answer's body, never more than :data:`MAX_BODY` bytes of it.

Every answer the tool reads (ARM's GETs, PUTs, DELETEs, list pages, operation polls,
``listsecrets``, the notebook token, the Playwright data plane) is read here, by the one client
(:mod:`reconciler.arm.client`). A server's answer is untrusted: a broken or hostile server, a
proxy in the middle, or a ``nextLink`` host that is allowed could send a body of 10 GB, or one
that never ends, and read whole (httpx's ``aread``) it would hold the run until the request
timeout while filling the memory. So the body is read as it streams in and refused with
:class:`~reconciler.errors.UnreadableAnswer` as soon as it is larger than the cap; one that
declares a larger ``Content-Length`` is refused before a byte of it is read. Refused, the answer
is closed unread: httpcore closes a connection whose answer was not read to its end, so it never
goes back to the pool with the rest of the body still on its way.

Compressed bodies are decoded here too (the client asks for ``gzip, deflate``, the codings
httpx decodes without extras), with :mod:`zlib` asked for at most the room left under the cap:
a gzip bomb (a few hundred kilobytes inflating to gigabytes) is stopped after the cap's worth
of output, never inflated in one piece. Every stage counts, the bytes as sent included, so
trailing bytes after a compressed stream (which zlib sets aside) cannot go on for ever either.
Codings httpx does not know are left as sent, as httpx leaves them (the JSON reader refuses
what is then not JSON). A chain of more than :data:`MAX_CODINGS` codings is refused unread:
each holds a decoder, and ``gzip, gzip, ...`` could list thousands.
"""

from __future__ import annotations

import zlib
from urllib.parse import urlsplit

import httpx

from reconciler.errors import UnreadableAnswer

# The largest answer ARM sends this tool is a list page: ARM's pages hold a few hundred items
# at most (100 for Machine Learning's lists, 10 for the Playwright data plane), and a workspace
# or connection is a few kilobytes, so a page is well under 2 MB; a notebook token's answer is
# under 10 kB. 32 MiB leaves room for ten times the largest page one could meet, while bounding
# what a run can be made to hold: at most ``--parallelism`` answers of 32 MiB at once.
MAX_BODY = 32 * 1024 * 1024
# Codings decoded in one answer: each holds a decoder (~35 kB once it inflates), and a header
# of 100 kB (httpcore's bound) lists 16,000 of them. urllib3 bounds the chain at 5 as well.
MAX_CODINGS = 5


def size_text(count: int) -> str:
    """``33554432`` as "32 MiB" (a cap, in the unit people read sizes in)."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale and count % scale == 0:
            return f"{count // scale} {unit}"
    return f"{count} bytes"


def where(url: str) -> str:
    """Scheme, host and path: never the query (a nextLink's may carry a token)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class _TooLarge(Exception):
    """A stage of the body passed the cap."""


class _Inflate:
    """One ``gzip`` or ``deflate`` coding, decoded at most ``limit`` bytes at a time.

    ``deflate`` is read as zlib's format, else as raw deflate, as httpx reads it (servers send
    both). A body that does not decode is :class:`httpx.DecodingError`, as from httpx."""

    def __init__(self, coding: str) -> None:
        self._wbits = zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(self._wbits)
        self._fresh = coding == "deflate"

    def decode(self, data: bytes, limit: int) -> bytes:
        fresh, self._fresh = self._fresh, False
        try:
            return self._zlib.decompress(data, limit)
        except zlib.error as exc:
            if fresh:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._zlib.decompress(data, limit)
            raise httpx.DecodingError(str(exc)) from exc

    def flush(self, limit: int) -> bytes:
        try:
            return self._zlib.flush(limit)
        except zlib.error as exc:  # pragma: no cover - flush raises only on a bad length
            raise httpx.DecodingError(str(exc)) from exc


def _codings(headers: httpx.Headers) -> list[str]:
    """The codings ``Content-Encoding`` lists, in the order to undo them (the last applied
    first); ``identity`` and codings httpx does not know are skipped."""
    named = [c.strip().lower() for c in headers.get_list("content-encoding", split_commas=True)]
    return [c for c in reversed(named) if c in ("gzip", "deflate")]


class _Reader:
    """The body so far, every stage of it (as sent, then after each decoding) counted."""

    def __init__(self, cap: int, codings: list[_Inflate]) -> None:
        self.cap = cap
        self.codings = codings
        self.counts = [0] * (len(codings) + 1)
        self.parts: list[bytes] = []

    def _count(self, stage: int, data: bytes) -> bytes:
        self.counts[stage] += len(data)
        if self.counts[stage] > self.cap:
            raise _TooLarge
        return data

    def _room(self, stage: int) -> int:
        """One byte more than may still come out of ``stage``: getting it means too large."""
        return self.cap - self.counts[stage] + 1

    def feed(self, chunk: bytes) -> None:
        data = self._count(0, chunk)
        for stage, coding in enumerate(self.codings, 1):
            if not data:
                return
            data = self._count(stage, coding.decode(data, self._room(stage)))
        if data:
            self.parts.append(data)

    def end(self) -> bytes:
        for stage, coding in enumerate(self.codings, 1):
            tail = self._count(stage, coding.flush(self._room(stage)))
            for later, more in enumerate(self.codings[stage:], stage + 1):
                tail = self._count(later, more.decode(tail, self._room(later))) if tail else tail
            if tail:
                self.parts.append(tail)
        return b"".join(self.parts)


def _declared(headers: httpx.Headers) -> int | None:
    value = headers.get("content-length")
    return int(value) if value is not None and value.strip().isdigit() else None


async def read(
    answer: httpx.Response,
    *,
    method: str,
    url: str,
    request_id: str,
    cap: int | None = None,
) -> bytes:
    """The whole (decoded) body of ``answer``, at most ``cap`` bytes (:data:`MAX_BODY` unless
    given); the answer is closed.

    Larger (declared, as sent, or decoded) is :class:`UnreadableAnswer` naming the request
    (method, host and path; never the query, never a header) and the cap.
    """

    limit = MAX_BODY if cap is None else cap

    def too_large(declared: str = "") -> UnreadableAnswer:
        return UnreadableAnswer(
            f"the body{declared} is larger than {size_text(limit)}: refused",
            method=method,
            url=where(url),
            request_id=request_id,
        )

    try:
        declared = _declared(answer.headers)
        if declared is not None and declared > limit:
            raise too_large(f" ({declared} bytes by its Content-Length)")
        codings = _codings(answer.headers)
        if len(codings) > MAX_CODINGS:
            raise UnreadableAnswer(
                f"the body has {len(codings)} content codings, more than {MAX_CODINGS}: refused",
                method=method,
                url=where(url),
                request_id=request_id,
            )
        reader = _Reader(limit, [_Inflate(c) for c in codings])  # none made before
        try:
            async for chunk in answer.stream:  # type: ignore[union-attr]
                reader.feed(chunk)
            return reader.end()
        except _TooLarge:
            raise too_large() from None
    finally:
        await answer.aclose()
