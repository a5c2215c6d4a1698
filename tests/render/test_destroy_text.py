"""The text of a destroy plan with nothing left to delete says so, not that Azure matches the
manifests: after a destroy it does not (what was declared is gone), and a CI log reading
"Azure matches the manifests" after a teardown misleads whoever reads it."""

from __future__ import annotations

from reconciler.manifest.model import Kind
from reconciler.plan.model import Action, Change, Plan, ReasonCode
from reconciler.render.text import render_text

WS = "Workspace/00000000-1111-2222-3333-444444444444/rg-1/ws1"


def _all_gone() -> Plan:
    return Plan(
        changes=(
            Change(
                address=WS,
                kind=Kind("Workspace"),
                action=Action.NO_OP,
                code=ReasonCode.ALREADY_ABSENT,
                reason="not in Azure: nothing to delete",
                workspace=WS,
            ),
        ),
        calls={"workspace.get": 1},
    )


def test_a_destroy_plan_with_nothing_to_delete_says_nothing_is_left_to_delete() -> None:
    text = render_text(_all_gone(), title="destroy plan")
    assert text.rstrip().endswith("Nothing to delete.")
    assert "matches the manifests" not in text


def test_a_plan_with_no_changes_still_says_azure_matches_the_manifests() -> None:
    assert render_text(_all_gone()).rstrip().endswith("No changes: Azure matches the manifests.")


def test_a_targeted_plan_with_no_changes_claims_no_more_than_its_slice() -> None:
    """Its note says the rest was left out, not found unchanged: the last line, which a CI log
    shows first, must not say the opposite."""
    targeted = Plan(changes=(), notes=("This plan is cut to --target 'ws1': …",), targets=("ws1",))
    last = render_text(targeted).rstrip().splitlines()[-1]
    assert last == "No changes within --target: Azure matches the manifests there.", last
