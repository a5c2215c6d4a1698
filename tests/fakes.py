"""Test doubles shared by unit tests: a fake clock whose sleep advances time instantly."""

from __future__ import annotations


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
