"""The plan is a value: built once, by keyword, and nobody holding it can change it."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.manifest.model import Kind
from reconciler.plan.model import Action, Change, Plan, ReasonCode


def test_a_change_is_built_by_keyword_only() -> None:
    positional: Any = Change
    with pytest.raises(TypeError):
        positional(
            "Workspace/s/rg/ws", Kind("Workspace"), Action.NO_OP, ReasonCode.MATCHES_MANIFEST
        )


def test_the_calls_of_a_plan_are_a_sorted_read_only_copy() -> None:
    calls = {"workspace.list": 1, "connection.list": 2}
    plan = Plan(changes=(), calls=calls)
    calls["workspace.list"] = 99  # the builder's dict moves on; the plan does not
    assert list(plan.calls.items()) == [("connection.list", 2), ("workspace.list", 1)]
    assert plan.total_calls == 3
    writable: Any = plan.calls
    with pytest.raises(TypeError):
        writable["connection.list"] = 0
