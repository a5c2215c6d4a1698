"""Against ARM's token buckets our client never meets a 429 and still finishes near the bound
the bucket allows.

ARM throttles per principal and subscription: reads from a bucket of 250 refilled at 25 a
second, writes and deletes from buckets of 200 refilled at 10 a second. The server here is the
emulator with its throttle on (the bucket model of ``reconciler/emulator/throttle.py``) and 50 ms
a request, served in process on virtual time: the event loop jumps to its next timer whenever
every task waits, so the client's concurrency is real and a minute of it takes no time. The
bound of N requests at parallelism P: the longer of N / P x latency and the refill of what the
bucket does not hold, (N - burst) / rate.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx
import pytest

from reconciler.arm.auth import StaticToken
from reconciler.arm.client import ArmClient
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs
from reconciler.emulator.asgi import EmulatorApp
from reconciler.emulator.throttle import LIMITS
from tests.fakes import run_in_virtual_time

LATENCY = 0.05
WORKSPACE = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/rg/providers/"
    "Microsoft.MachineLearningServices/workspaces/ws-one"
)
API = {"api-version": "2023-04-01"}
CONNECTION_API = {"api-version": "2024-04-01"}


def _requests(method: str, count: int, parallelism: int) -> tuple[float, dict[str, Any]]:
    """``count`` requests of ``method`` at ``parallelism``: (virtual seconds, status counts
    the emulator answered, besides the set-up)."""

    async def main(loop: asyncio.AbstractEventLoop) -> tuple[float, dict[str, Any]]:
        emulator = Emulator(
            knobs=Knobs(strict_dependencies=False),
            clock=loop.time,
            resource_groups=((DEFAULT_SUBSCRIPTION, "rg"),),
        )
        transport = httpx.ASGITransport(app=EmulatorApp(emulator))
        async with ArmClient(
            "http://127.0.0.1",
            StaticToken("t"),
            transport=transport,
            parallelism=parallelism,
            clock=loop.time,
        ) as client:
            await client.request("PUT", WORKSPACE, params=API, json={"location": "westeurope"})
            emulator.throttle.buckets.clear()
            emulator.knobs.throttle, emulator.knobs.latency_ms = True, LATENCY * 1000
            before = dict(emulator.stats()["statuses"])
            start = loop.time()
            await asyncio.gather(*(_one(client, method, i) for i in range(count)))
            elapsed = loop.time() - start
        after = emulator.stats()["statuses"]
        return elapsed, {k: after[k] - before.get(k, 0) for k in after}

    return run_in_virtual_time(main)


async def _one(client: ArmClient, method: str, i: int) -> None:
    if method == "GET":
        await client.request("GET", WORKSPACE, params=API)
    else:
        body = {"properties": {"authType": "None", "category": "Git", "target": f"https://g/{i}"}}
        await client.request(
            "PUT", f"{WORKSPACE}/connections/conn{i:04d}", params=CONNECTION_API, json=body
        )


def _bound(bucket: str, count: int, parallelism: int) -> float:
    burst, rate = LIMITS[bucket]
    return max(math.ceil(count / parallelism) * LATENCY, (count - burst) / rate)


@pytest.mark.parametrize("parallelism", [8, 32, 64])
def test_reads_past_the_bucket_meet_no_429_and_finish_near_the_refill_bound(
    parallelism: int,
) -> None:
    elapsed, statuses = _requests("GET", 700, parallelism)
    assert statuses.get("429", 0) == 0, statuses
    assert statuses.get("200") == 700, statuses
    bound = _bound("reads", 700, parallelism)  # 450 beyond the burst at 25/s: 18 s
    assert bound <= elapsed <= 1.1 * bound, (elapsed, bound)


@pytest.mark.parametrize("parallelism", [8, 32])
def test_writes_past_the_bucket_meet_no_429_and_finish_near_the_refill_bound(
    parallelism: int,
) -> None:
    elapsed, statuses = _requests("PUT", 320, parallelism)
    assert statuses.get("429", 0) == 0, statuses
    bound = _bound("writes", 320, parallelism)  # 120 beyond the burst at 10/s: 12 s
    assert bound <= elapsed <= 1.1 * bound, (elapsed, bound)


def test_reads_within_the_bucket_are_not_paced() -> None:
    elapsed, statuses = _requests("GET", 200, 32)
    assert statuses.get("429", 0) == 0 and statuses.get("200") == 200, statuses
    assert elapsed <= 1.1 * _bound("reads", 200, 32), elapsed  # 200 / 32 x 50 ms
