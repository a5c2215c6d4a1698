"""Test doubles shared by unit tests: a fake clock whose sleep advances time instantly, and an
event loop on virtual time."""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class FakeTime:
    """One timeline for the emulator and the client: sleeping advances it, nothing waits."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class _JumpingSelector(selectors.DefaultSelector):
    """A selector that, with nothing ready, jumps its loop's clock to the next timer instead
    of blocking: ``asyncio.sleep`` then takes no real time."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout is None or timeout <= 0:
            return ready if ready or timeout is not None else super().select(None)
        self.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time: whenever every task waits, time jumps to the next timer.

    For code whose only waits are ``asyncio.sleep`` and in-process transports (an ASGI app,
    ``httpx.MockTransport``): concurrency and timing are real to the code under test, seconds
    of it take none. ``loop.time`` is the clock to inject (the emulator's, the client's)."""

    def __init__(self) -> None:
        self._jumping = _JumpingSelector()
        super().__init__(self._jumping)

    def time(self) -> float:
        return self._jumping.now


def run_in_virtual_time(main: Callable[[asyncio.AbstractEventLoop], Awaitable[T]]) -> T:
    """Run ``main(loop)`` on a :class:`VirtualTimeLoop`."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main(runner.get_loop()))
