"""ARM's request throttle: a token bucket per principal and subscription, for reads, writes
and deletes apart.

Documented limits: reads 250 burst refilled at 25/s, writes 200 at 10/s, deletes 200 at 10/s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

READS = (250.0, 25.0)
WRITES = (200.0, 10.0)
DELETES = (200.0, 10.0)
LIMITS = {"reads": READS, "writes": WRITES, "deletes": DELETES}


def kind_of(method: str) -> str:
    """Which bucket a request draws from."""
    if method in ("GET", "HEAD"):
        return "reads"
    return "deletes" if method == "DELETE" else "writes"


@dataclass
class Bucket:
    capacity: float
    refill_per_second: float
    tokens: float
    updated: float

    def take(self, now: float) -> tuple[bool, float]:
        """Take one token; returns (allowed, seconds until a token is available)."""
        self.tokens = min(
            self.capacity, self.tokens + (now - self.updated) * self.refill_per_second
        )
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True, 0.0
        return False, (1.0 - self.tokens) / self.refill_per_second


class Throttle:
    def __init__(self, clock: Callable[[], float], scale: float = 1.0) -> None:
        self.clock = clock
        self.scale = scale
        self.buckets: dict[tuple[str, str, str], Bucket] = {}

    def take(self, principal: str, subscription: str, kind: str) -> tuple[bool, int, int]:
        """Returns (allowed, remaining tokens, Retry-After seconds)."""
        capacity, rate = LIMITS[kind]
        key = (principal, subscription.lower(), kind)
        now = self.clock()
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = Bucket(capacity * self.scale, rate * self.scale, capacity * self.scale, now)
            self.buckets[key] = bucket
        allowed, wait = bucket.take(now)
        return allowed, int(bucket.tokens), max(1, math.ceil(wait)) if not allowed else 0
