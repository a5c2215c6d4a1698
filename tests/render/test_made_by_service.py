"""What Azure made itself is counted, not listed: a managed network's dozen Required rules per
workspace would otherwise bury the one change a reviewer must see in a pull-request comment."""

from __future__ import annotations

from reconciler.manifest.model import Kind
from reconciler.plan.model import Action, Change, Plan, ReasonCode
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text

HUB = "Workspace/00000000-1111-2222-3333-444444444444/rg-1/hub"


def _plan() -> Plan:
    made = tuple(
        Change(
            address=f"{HUB}/__SYS_rule_{n}",
            kind=Kind("OutboundRule"),
            action=Action.UNMANAGED,
            code=ReasonCode.MADE_BY_SERVICE,
            reason="created by Azure for the managed network (category Required)",
            workspace=HUB,
        )
        for n in range(13)
    )
    mine = Change(
        address=f"{HUB}/pypi",
        kind=Kind("OutboundRule"),
        action=Action.CREATE,
        code=ReasonCode.NOT_FOUND,
        reason="not found in Azure",
        workspace=HUB,
    )
    return Plan(changes=(mine, *made))


def test_text_counts_azures_own_resources_per_workspace_on_one_line() -> None:
    text = render_text(_plan())
    first = text.splitlines()[0]
    assert "1 to create" in first and "0 unmanaged" in first and "13 made by Azure" in first
    assert "__SYS_rule" not in text
    assert f"13 outbound rule(s) Azure made itself in {HUB}: never drift" in text
    assert f"+ {HUB}/pypi" in text


def test_markdown_gives_them_one_row() -> None:
    markdown = render_markdown(_plan())
    assert "__SYS_rule" not in markdown
    assert markdown.count("made by Azure |") == 1
    assert "| 13 OutboundRule | made by Azure |" in markdown
