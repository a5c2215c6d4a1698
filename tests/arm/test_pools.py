"""The client's connections: pools of a few, each request to the least busy, nothing lost.

httpx's CPU per request grows with the number of connections in its pool (see
reconciler/arm/pools.py and bench/README.md), so a client of any parallelism keeps its
connections in pools of at most POOL_SIZE. These tests hold that, and that the split loses
nothing: the client still sends ``parallelism`` requests at once, on no more connections, and
reuses a connection rather than opening another.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from reconciler.arm.auth import StaticToken
from reconciler.arm.client import ArmClient
from reconciler.arm.pools import POOL_SIZE, Pools, pools_for
from reconciler.arm.routes import Routes


def _made(connections: int) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []

    def make(**options: Any) -> httpx.AsyncBaseTransport:
        made.append(options)
        return httpx.MockTransport(lambda request: httpx.Response(200))

    pools_for(connections, make=make)
    return made


@pytest.mark.parametrize("connections", [1, 4, 5, 16, 32, 64, 100])
def test_no_pool_holds_more_than_a_few_connections_and_together_they_hold_all(
    connections: int,
) -> None:
    sizes = [options["limits"].max_connections for options in _made(connections)]
    assert max(sizes) <= POOL_SIZE
    assert connections <= sum(sizes) < connections + len(sizes)


def test_the_pools_share_one_tls_context_built_as_httpx_builds_it() -> None:
    contexts = [options["verify"] for options in _made(16)]
    assert all(isinstance(context, ssl.SSLContext) for context in contexts)
    assert len({id(context) for context in contexts}) == 1
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED and contexts[0].check_hostname


def test_a_client_of_high_parallelism_sends_through_small_pools() -> None:
    client = ArmClient("https://management.azure.com", StaticToken(), parallelism=64)
    assert isinstance(client._transport, Routes)
    transport = client._transport.direct
    assert isinstance(transport, Pools)
    assert len(transport.pools) == 64 // POOL_SIZE
    asyncio.run(client.close())


async def _body() -> AsyncIterator[bytes]:
    yield b"{}"


class _Held:
    """Pools whose answers arrive only when the test says: which pool got each request."""

    def __init__(self, count: int) -> None:
        self.got: list[int] = []
        self.gates: list[asyncio.Event] = []

        def pool(index: int) -> httpx.MockTransport:
            async def handler(request: httpx.Request) -> httpx.Response:
                self.got.append(index)
                if request.url.path == "/fail":
                    raise httpx.ConnectError("refused", request=request)
                gate = asyncio.Event()
                self.gates.append(gate)
                await gate.wait()
                return httpx.Response(200, content=_body())  # streamed, as from a socket

            return httpx.MockTransport(handler)

        self.transport = Pools([pool(i) for i in range(count)])


def test_each_request_goes_to_the_pool_with_fewest_in_flight_and_frees_it_when_read() -> None:
    async def go() -> None:
        held = _Held(3)
        async with httpx.AsyncClient(transport=held.transport) as client:
            first = [asyncio.create_task(client.get(f"http://127.0.0.1/{i}")) for i in range(5)]
            while len(held.gates) < 5:
                await asyncio.sleep(0)
            assert held.got == [0, 1, 2, 0, 1]
            assert held.transport.busy == [2, 2, 1]
            held.gates[0].set()  # the first request's answer (pool 0) is read and closed
            await first[0]
            assert held.transport.busy == [1, 2, 1]
            late = asyncio.create_task(client.get("http://127.0.0.1/late"))
            while len(held.gates) < 6:
                await asyncio.sleep(0)
            assert held.got[-1] == 0  # the first of the least busy: a connection reused
            for gate in held.gates:
                gate.set()
            await asyncio.gather(*first[1:], late)
            assert held.transport.busy == [0, 0, 0]

    asyncio.run(go())


def test_a_request_that_fails_or_is_cancelled_frees_its_place() -> None:
    async def go() -> None:
        held = _Held(2)
        async with httpx.AsyncClient(transport=held.transport) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get("http://127.0.0.1/fail")
            assert held.transport.busy == [0, 0]
            waiting = asyncio.create_task(client.get("http://127.0.0.1/slow"))
            while not held.gates:
                await asyncio.sleep(0)
            assert held.transport.busy == [1, 0]
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            assert held.transport.busy == [0, 0]

    asyncio.run(go())


class _Barrier:
    """A loopback HTTP/1.1 server that answers only when ``wave`` requests (or all that are
    left) are waiting at once: a client that cannot send that many together never finishes.
    It remembers the client port of every request (one port, one connection)."""

    def __init__(self, total: int, wave: int) -> None:
        self.left = total
        self.wave = wave
        self.waiting: list[asyncio.Future[None]] = []
        self.most_at_once = 0
        self.ports: set[int] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("peername")[1]
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")  # a GET: no body
                self.ports.add(port)
                answered = asyncio.get_running_loop().create_future()
                self.waiting.append(answered)
                self.most_at_once = max(self.most_at_once, len(self.waiting))
                if len(self.waiting) == min(self.wave, self.left):
                    self.left -= len(self.waiting)
                    for future in self.waiting:
                        future.set_result(None)
                    self.waiting = []
                await answered
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()


def _through_barrier(requests: int, parallelism: int, *, together: bool) -> _Barrier:
    barrier = _Barrier(requests, parallelism if together else 1)

    async def go() -> None:
        server = await asyncio.start_server(barrier.serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = ArmClient(f"http://127.0.0.1:{port}", StaticToken(), parallelism=parallelism)
        try:
            async with asyncio.timeout(30):  # a deadlock fails the test instead of hanging it
                if together:
                    await asyncio.gather(*(client.request("GET", "/x") for _ in range(requests)))
                else:
                    for _ in range(requests):
                        await client.request("GET", "/x")
        finally:
            await client.close()
            server.close()
            await server.wait_closed()

    asyncio.run(go())
    return barrier


def test_a_client_sends_its_parallelism_at_once_on_no_more_connections() -> None:
    barrier = _through_barrier(30, 10, together=True)
    assert barrier.most_at_once == 10
    assert len(barrier.ports) == 10


def test_requests_one_after_another_reuse_one_connection() -> None:
    barrier = _through_barrier(5, 16, together=False)
    assert barrier.most_at_once == 1
    assert len(barrier.ports) == 1
