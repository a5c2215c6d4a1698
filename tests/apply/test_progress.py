"""Progress: a live table on a terminal, timestamped lines in CI."""

from __future__ import annotations

import io

from rich.console import Console

from reconciler.apply.applier import Event
from reconciler.apply.progress import LiveProgress, PlainProgress
from tests.fakes import FakeTime


def test_plain_lines_are_timestamped() -> None:
    stream = io.StringIO()
    PlainProgress(stream)(Event("Workspace/s/rg/ws", "Creating"))
    line = stream.getvalue()
    assert line.endswith("  Workspace/s/rg/ws  Creating\n")
    assert line[:4].isdigit() and line[10] == "T"


def test_live_view_has_a_row_per_resource_with_state_elapsed_and_provisioning_state() -> None:
    time = FakeTime()
    console = Console(file=io.StringIO(), force_terminal=True, width=140)
    view = LiveProgress(console, clock=time)
    view(Event("Workspace/s/rg/ws1", "started", "create"))
    view(Event("Workspace/s/rg/ws2", "started", "update"))
    time.now += 42
    view(Event("Workspace/s/rg/ws1", "Creating"))
    view(Event("Workspace/s/rg/ws2", "failed", "BadRequest"))
    out = io.StringIO()
    Console(file=out, width=140).print(view.table())
    rows = out.getvalue().splitlines()
    ws1 = next(r for r in rows if "ws1" in r)
    ws2 = next(r for r in rows if "ws2" in r)
    assert "applying" in ws1 and "42s" in ws1 and "Creating" in ws1
    assert "failed" in ws2
