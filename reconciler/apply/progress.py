"""How apply shows progress: a live table on a terminal, timestamped lines everywhere else.

CI logs keep every line with its time; a person at a terminal sees one row per resource with
its state, the time it has taken and the current provisioningState (rich, imported only then).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from reconciler.apply.applier import Event, Result
from reconciler.render import safe

_DONE = {r.value for r in Result}


def _stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class PlainProgress:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __call__(self, event: Event) -> None:
        # Status and detail can come from the server (provisioningState, error messages):
        # one line, no control character, nothing a CI log reads as a command.
        detail = f" — {event.detail}" if event.detail else ""
        line = safe.terminal(f"{event.address}  {event.status}{detail}")
        self.stream.write(f"{_stamp()}  {line}\n")
        self.stream.flush()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


# Room the state, elapsed and provisioningState columns and their gaps take in a row.
_OTHER_COLUMNS = 40


def shorten(address: str, width: int) -> str:
    """Fit ``address`` in ``width`` by cutting its middle: the kind on the left, and on the
    right as many trailing segments (workspace, name) as fit. Cutting the end, as a terminal
    does, leaves every connection row reading the same subscription id."""
    if len(address) <= width:
        return address
    segments = address.split("/")
    tail = segments[-1]
    for count in range(2, len(segments)):
        candidate = "/".join(segments[-count:])
        if len(candidate) + 1 + min(12, len(segments[0])) > width:
            break
        tail = candidate
    head = width - len(tail) - 2  # "…" and the "/" before the tail
    if head < 1:
        return "…" + tail[-(width - 1) :]
    return address[:head] + "…/" + tail


@dataclass
class _Row:
    started: float
    state: str = "waiting"
    provisioning: str = ""
    ended: float | None = None
    detail: str = ""


class LiveProgress:
    """One row per resource, redrawn in place."""

    def __init__(self, console: Any = None, clock: Callable[[], float] = time.monotonic) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = console or Console()
        self.clock = clock
        self.rows: dict[str, _Row] = {}
        self.live = Live(self.table(), console=self.console, refresh_per_second=4, transient=False)

    def table(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, pad_edge=False)
        for column in ("resource", "state", "elapsed", "provisioningState"):
            table.add_column(column, no_wrap=True)
        now = self.clock()
        room = max(20, self.console.width - _OTHER_COLUMNS)
        for address, row in self.rows.items():
            elapsed = (row.ended or now) - row.started
            style = {"failed": "red", "skipped": "yellow"}.get(row.state, "")
            # Text, never markup: a provisioningState from the server is shown as it is.
            table.add_row(
                Text(safe.terminal(shorten(address, room))),
                Text(row.state, style=style),
                f"{elapsed:5.0f}s",
                Text(safe.terminal(row.provisioning)),
            )
        return table

    def __call__(self, event: Event) -> None:
        row = self.rows.setdefault(event.address, _Row(started=self.clock()))
        if event.status == "started":
            row.state = "applying"
        elif event.status in _DONE:
            row.state, row.ended, row.detail = event.status, self.clock(), event.detail
        else:
            row.provisioning = event.status
        self.live.update(self.table())

    def __enter__(self) -> LiveProgress:
        self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.stop()
