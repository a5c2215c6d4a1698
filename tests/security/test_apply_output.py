"""What a hostile server writes reaches apply's output only escaped.

apply prints the service's words: provisioningState values and error messages (in progress
lines, the live table and the failed/skipped lines), operation URLs and workspace outputs. In a
CI log a line starting ``::`` is a GitHub workflow command (``##vso[`` in Azure DevOps), and on a
terminal control characters rewrite the screen; rich would read ``[...]`` as markup.
"""

from __future__ import annotations

import io

from rich.console import Console

from reconciler.apply.applier import Event, Result
from reconciler.apply.progress import LiveProgress, PlainProgress
from reconciler.apply.runner import failure_line
from tests.fakes import FakeTime

HOSTILE = "Bad\n::error title=pwned::owned\x1b[2J##vso[task.setvariable]x\u202e"


def _assert_inert(text: str) -> None:
    assert "\x1b" not in text and "\u202e" not in text
    for line in text.splitlines():
        assert not line.lstrip().startswith("::"), line
    assert "##vso[" not in text


def test_progress_lines_show_a_hostile_status_and_detail_escaped() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream)
    progress(Event("Workspace/s/rg/ws", HOSTILE))
    progress(Event("Workspace/s/rg/ws", "failed", HOSTILE))
    out = stream.getvalue()
    _assert_inert(out)
    assert len(out.splitlines()) == 2  # one line per event, whatever the server wrote
    assert "\\x1b" in out  # shown, not swallowed


def test_the_live_table_shows_a_hostile_provisioning_state_as_text_not_markup() -> None:
    console = Console(file=io.StringIO(), force_terminal=False, width=200, record=True)
    view = LiveProgress(console, clock=FakeTime())
    view(Event("Workspace/s/rg/ws", "started", "create"))
    view(Event("Workspace/s/rg/ws", "[link=https://attacker.example]Creating[/link]\x1b[31m"))
    console.print(view.table())
    out = console.export_text()
    assert "[link=https://attacker.example]Creating[/link]" in out
    assert "\x1b" not in out


def test_failed_lines_quote_the_service_message_escaped() -> None:
    line = failure_line(Result.FAILED, "Workspace/s/rg/ws", " (m.yaml:3)", HOSTILE)
    _assert_inert(line)
    assert "\n" not in line
