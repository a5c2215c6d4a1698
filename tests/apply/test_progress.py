"""Progress: a live table on a terminal, timestamped lines in CI."""

from __future__ import annotations

import io

from rich.console import Console

from reconciler.apply.applier import Event
from reconciler.apply.progress import LiveProgress, PlainProgress, shorten
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


CONNECTION = (
    "Connection/00000000-1111-2222-3333-444444444444/workspace-1234/testworkspace/aoai-prod"
)


def test_at_80_columns_a_row_keeps_the_name_and_cuts_the_middle() -> None:
    time = FakeTime()
    console = Console(file=io.StringIO(), force_terminal=True, width=80)
    view = LiveProgress(console, clock=time)
    view(Event(CONNECTION, "started", "create"))
    view(Event(CONNECTION.replace("aoai-prod", "datalake"), "started", "create"))
    out = io.StringIO()
    Console(file=out, width=80).print(view.table())
    rows = [r for r in out.getvalue().splitlines() if r.startswith("Connection/")]
    assert len(rows) == 2
    assert "testworkspace/aoai-prod" in rows[0] and "testworkspace/datalake" in rows[1]
    assert "…" in rows[0] and "applying" in rows[0]
    assert all(len(r) <= 80 for r in rows)


def test_shorten_keeps_short_addresses_and_always_the_name() -> None:
    assert shorten("Workspace/s/rg/ws", 40) == "Workspace/s/rg/ws"
    assert shorten(CONNECTION, 30).endswith("/aoai-prod") and len(shorten(CONNECTION, 30)) == 30
    assert shorten("Connection/x/" + "n" * 50, 20) == "…" + "n" * 19


def test_a_provisioning_state_from_the_server_is_shown_as_text_not_as_rich_markup() -> None:
    """The server names the provisioningState: markup in it must not become a terminal
    hyperlink or a style."""
    hostile = "[link=http://evil.example]Succeeded[/link][blink]x"
    view = LiveProgress(Console(file=io.StringIO(), force_terminal=True, width=140))
    view(Event("Workspace/s/rg/ws", "started", "update"))
    view(Event("Workspace/s/rg/ws", hostile))
    out = io.StringIO()
    Console(file=out, force_terminal=True, width=200).print(view.table())
    assert "\x1b]8;" not in out.getvalue()
    assert hostile in out.getvalue()
