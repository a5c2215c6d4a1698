"""A wait polled one operation at a time reads it once more when its time is up, instead of
giving up as soon as the next interval would cross it (up to one Retry-After early: a 60 s
interval and an hour's timeout gave up at 59 minutes)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from reconciler.apply.lro import OperationTimeout, Outcome, _poll_until_done
from tests.fakes import FakeTime


class _Operation:
    """An operation done at ``done_at`` (fake seconds from the start); its polls' times."""

    url = "https://management.azure.com/operations/1"

    def __init__(self, time: FakeTime, done_at: float) -> None:
        self.time, self.start, self.done_at = time, time(), done_at
        self.polled: list[float] = []

    async def poll(self) -> tuple[Outcome | None, Any]:
        self.polled.append(self.time() - self.start)
        if self.time() - self.start >= self.done_at:
            return Outcome("Succeeded", {}), None
        return None, SimpleNamespace(headers=httpx.Headers({"Retry-After": "10"}))


def _wait(operation: _Operation, timeout: float) -> Outcome:
    time = operation.time
    op: Any = SimpleNamespace(client=SimpleNamespace(clock=time, sleep=time.sleep), what="ws")
    strategy: Any = operation
    return asyncio.run(_poll_until_done(op, strategy, delay=10.0, timeout=timeout))


def test_an_operation_done_before_the_timeout_is_seen_done_by_a_last_read_at_it() -> None:
    operation = _Operation(FakeTime(), done_at=24.0)
    assert _wait(operation, timeout=25.0).status == "Succeeded"
    assert operation.polled == [10.0, 20.0, 25.0]


def test_an_operation_not_done_at_the_timeout_times_out_after_that_last_read() -> None:
    operation = _Operation(FakeTime(), done_at=26.0)
    with pytest.raises(OperationTimeout):
        _wait(operation, timeout=25.0)
    assert operation.polled == [10.0, 20.0, 25.0]
