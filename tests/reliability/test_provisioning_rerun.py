"""Rerunning apply while workspaces are still provisioning (after a kill -9 or a timeout), on a
fake clock: they are never "unchanged"; apply waits on them before their connections, and one
that ends Failed is reported (exit non-zero) with its connections skipped. A later rerun
converges.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.apply.applier import Result
from reconciler.manifest.model import Kind
from reconciler.plan.model import Action, ReasonCode
from tests.reliability.test_apply_faults import World, _converges, _results


def _left_provisioning(tmp_path: Path, **knobs: float) -> World:
    """A first apply that gave up waiting: both workspaces are still Creating in Azure."""
    world = World(tmp_path, provisioning_seconds=600, **knobs)
    first = world.apply(timeout=5)
    assert _results(first)["ws-a"] is Result.FAILED
    assert _results(first)["git-a"] is Result.SKIPPED
    plan = world.plan()
    for change in plan.changes:
        if change.kind == Kind("Workspace"):
            assert change.action is Action.UPDATE, change
            assert change.code is ReasonCode.IN_PROGRESS, change
            assert "(provisioningState Creating)" in change.reason
    return world


def test_a_rerun_waits_for_provisioning_then_writes_the_connections(tmp_path: Path) -> None:
    world = _left_provisioning(tmp_path)
    rerun = world.apply()
    assert rerun.ok, rerun.results
    assert _results(rerun)["ws-a"] is Result.UNCHANGED  # waited on, not written again
    assert _results(rerun)["git-a"] is Result.CREATED
    assert not world.plan().has_changes
    assert world.puts() == 4  # each workspace and connection written once


def test_provisioning_that_ends_failed_is_reported_and_a_later_rerun_converges(
    tmp_path: Path,
) -> None:
    world = _left_provisioning(tmp_path, lro_failure_rate=1.0)
    rerun = world.apply()
    assert not rerun.ok
    result, detail = rerun.results[next(a for a in rerun.results if a.endswith("ws-a"))]
    assert result is Result.FAILED and "Failed" in detail
    assert _results(rerun)["git-a"] is Result.SKIPPED
    assert world.puts() == 2  # nothing written while it was provisioning
    _converges(world, expected_puts=2 + 2 + 2)  # the workspaces again, then the connections
