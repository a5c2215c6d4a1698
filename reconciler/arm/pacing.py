"""How long to wait, as the service asks: ``Retry-After`` and ARM's request budget
(``x-ms-ratelimit-remaining-*``), each held to a sane range whatever a server writes.
"""

from __future__ import annotations

import email.utils
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

# Azure asks for waits of seconds to minutes; an answer asking for more (or for a negative,
# NaN or infinite wait) is a broken proxy or header, and is held to these bounds.
MAX_RETRY_AFTER = 300.0
MAX_PACE = 30.0


def retry_after(headers: httpx.Headers, default: float) -> float:
    """Seconds to wait as ``Retry-After`` asks (seconds or an HTTP date), within
    [0, :data:`MAX_RETRY_AFTER`]; ``default`` when absent or unreadable."""
    value = headers.get("retry-after")
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return default
        if when.tzinfo is None:
            return default
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return default
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


@dataclass
class Budget:
    """ARM's request budget, as its ``x-ms-ratelimit-remaining-*`` headers report it.

    ARM refills a token bucket per principal and subscription (reads 25/s, writes 10/s). When
    the last answer said the bucket is nearly empty, wait for the refill before sending,
    instead of spending the rest and then sitting out 429s: the same work, without the errors
    (and without starving other tools that share the principal).
    """

    reserve: float = 8.0  # keep this many requests in hand
    rates: dict[str, float] = field(default_factory=lambda: {"reads": 25.0, "writes": 10.0})
    seen: dict[str, tuple[float, float]] = field(default_factory=dict)  # kind -> (left, when)

    @staticmethod
    def kind(method: str) -> str:
        return "reads" if method in ("GET", "HEAD") else "writes"

    def observe(self, method: str, headers: httpx.Headers, now: float) -> None:
        kind = self.kind(method)
        value = headers.get(f"x-ms-ratelimit-remaining-subscription-{kind}")
        if value is None:
            return
        try:
            left = float(value)
        except ValueError:
            return
        if math.isfinite(left):
            # Fewer than none left means none left; ARM's buckets hold thousands at most.
            self.seen[kind] = (min(max(left, 0.0), 100_000.0), now)

    def wait(self, method: str, now: float) -> float:
        kind = self.kind(method)
        if kind not in self.seen:
            return 0.0
        left, when = self.seen[kind]
        estimate = left + (now - when) * self.rates[kind]
        if estimate >= self.reserve:
            return 0.0
        # Count this request against the budget, so concurrent callers queue up behind it.
        self.seen[kind] = (left - 1, when)
        return min(MAX_PACE, (self.reserve - estimate) / self.rates[kind])
