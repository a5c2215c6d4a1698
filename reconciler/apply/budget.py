"""How long one resource's long-running operation may still take in a run (apply, destroy).

Each operation has its own timeout (``--timeout``); a run may also have a deadline for the
whole of it (``--deadline``), measured from the run's start on the client's clock (injected,
so tests run on virtual time). An operation gets the smaller of the two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Budget:
    clock: Callable[[], float]
    timeout: float  # per resource, seconds
    deadline: float | None = None  # for the whole run, seconds from start(); None: none
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def start(self) -> None:
        """The run starts now: the deadline counts from here."""
        self.started = self.clock()

    def left(self) -> float:
        """The time the next operation may take: its timeout, cut short by the deadline."""
        if self.deadline is None:
            return self.timeout
        spent = self.clock() - self.started
        return max(0.0, min(self.timeout, self.deadline - spent))
