"""The connections of one client: several small httpx pools, each request to the least busy.

httpx's pool (httpcore's) does work for every connection it holds each time a request starts
and each time an answer has been read: it asks every idle connection's socket whether the
server hung up (through anyio's attribute lookups and two system calls), and counts all
connections once per idle one. Its CPU per request grows with the pool, steeply past about 16
connections: measured over TLS on loopback (bench/README.md), 1.4 ms a request with 16
connections, 5 ms with 32 and 6-10 ms with 64, so that ``--parallelism 32`` was slower than 16
on two cores. A client's ``parallelism`` connections are therefore split into pools of at most
:data:`POOL_SIZE`, and each request goes to the pool with the fewest requests in flight: the
cost per request stays that of the smallest pool (~1.1 ms) whatever the parallelism.

Nothing else changes: every pool is httpx's own transport, with one TLS context for all (the
client's trust store, :func:`reconciler.arm.routes.trust_store`), the same
keep-alive rules and together the same number of connections. A request never waits in a full
pool while another has room: the client sends at most ``parallelism`` requests at once (its
semaphore), and the least busy pool then always has a free connection. Requests to be sent
through a proxy never come here (:mod:`reconciler.arm.routes`).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable, Sequence

import httpx

from reconciler.arm.sockets import closing_sockets

# Connections of one pool. Measured at 16 and 32 in flight, a request costs ~1.1 ms of CPU
# with 1, ~1.2 with 2 or 4, more with 8: each pool then checks only the connection it reuses.
POOL_SIZE = 1


class _Released(httpx.AsyncByteStream):
    """An answer's body that frees its pool's slot when closed (httpx closes every answer it
    has read, or failed to read)."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._release()


class Pools(httpx.AsyncBaseTransport):
    """Several transports as one; each request goes to the one with the fewest in flight
    (the first of those: connections are reused before new ones are opened elsewhere)."""

    def __init__(self, pools: Sequence[httpx.AsyncBaseTransport]) -> None:
        if not pools:
            raise ValueError("at least one pool")
        self.pools = list(pools)
        self.busy = [0] * len(self.pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self.busy)), key=self.busy.__getitem__)
        self.busy[index] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.busy[index] -= 1

        try:
            response = await self.pools[index].handle_async_request(request)
        except BaseException:
            release()
            raise
        if not isinstance(response.stream, httpx.AsyncByteStream):  # pragma: no cover
            release()
            return response
        response.stream = _Released(response.stream, release)
        return response

    async def aclose(self) -> None:
        for pool in self.pools:
            await pool.aclose()


def pools_for(
    connections: int,
    *,
    verify: bool | str | ssl.SSLContext = True,
    make: Callable[..., httpx.AsyncBaseTransport] = httpx.AsyncHTTPTransport,
) -> Pools:
    """httpx's transports (``make``) for ``connections`` connections in all, at most
    :data:`POOL_SIZE` in each."""
    connections = max(1, connections)
    count = -(-connections // POOL_SIZE)
    each = -(-connections // count)
    # One trust store for all the pools: loading a CA bundle takes ~20 ms of CPU.
    context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
    # Sockets closed however a connection attempt ends (reconciler.arm.sockets).
    made = (make(verify=context, limits=httpx.Limits(max_connections=each)) for _ in range(count))
    return Pools([closing_sockets(transport) for transport in made])
