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

    ARM refills a token bucket per principal and subscription (reads 250 refilled at 25/s,
    writes 200 at 10/s). When the budget is nearly spent, wait for the refill before sending,
    instead of spending the rest and then sitting out 429s: the same work, without the errors
    (and without starving other tools that share the principal).

    The client keeps its own copy of each bucket: every request sent takes a token from it,
    the refill adds to it, and every answer that says what is left resets it. An answer tells
    what was left when its request arrived; requests still in flight then may have arrived
    after it (answers come back in any order), so they are taken from what it says. The
    client's callers ask :meth:`wait` one at a time, in turn (``ArmClient`` queues them), and
    ask again after waiting: a wait planned on old news is not trusted once news came.
    """

    reserve: float = 8.0  # keep this many requests in hand
    rates: dict[str, float] = field(default_factory=lambda: {"reads": 25.0, "writes": 10.0})
    sizes: dict[str, float] = field(default_factory=lambda: {"reads": 250.0, "writes": 200.0})
    seen: dict[str, tuple[float, float]] = field(default_factory=dict)  # kind -> (left, when)
    in_flight: dict[str, int] = field(default_factory=dict)  # kind -> sent, not yet answered

    @staticmethod
    def kind(method: str) -> str:
        return "reads" if method in ("GET", "HEAD") else "writes"

    def _left(self, kind: str, now: float) -> float | None:
        if kind not in self.seen:
            return None
        left, when = self.seen[kind]
        # A bucket larger than documented (a count above its size) is taken at its word.
        return min(max(self.sizes[kind], left), left + max(0.0, now - when) * self.rates[kind])

    def wait(self, method: str, now: float) -> float:
        """How long a request must wait before it may be sent (0: send it now)."""
        kind = self.kind(method)
        left = self._left(kind, now)
        wait = 0.0 if left is None else (self.reserve + 1 - left) / self.rates[kind]
        # Under a millisecond is no wait: it would be lost in the clock's rounding.
        return 0.0 if wait < 0.001 else min(MAX_PACE, wait)

    def sending(self, method: str, now: float) -> None:
        """A request is sent: one token fewer (answer with :meth:`answered`)."""
        kind = self.kind(method)
        self.in_flight[kind] = self.in_flight.get(kind, 0) + 1
        left = self._left(kind, now)
        if left is not None:
            self.seen[kind] = (left - 1, now)

    def answered(self, method: str, headers: httpx.Headers | None, now: float) -> None:
        """A request sent is done (``headers``: its answer's; None when none came)."""
        kind = self.kind(method)
        others = self.in_flight.get(kind, 1) - 1
        self.in_flight[kind] = max(0, others)
        value = headers.get(f"x-ms-ratelimit-remaining-subscription-{kind}") if headers else None
        if value is None:
            return
        try:
            left = float(value)
        except ValueError:
            return
        if math.isfinite(left):
            # Fewer than none left means none left; ARM's buckets hold thousands at most.
            self.seen[kind] = (min(max(left, 0.0), 100_000.0) - others, now)
