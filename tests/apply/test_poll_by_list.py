"""Workspaces provisioning together are polled together: one list per resource group a round.

On a fake clock against the in-process emulator: hours of provisioning run instantly, and the
client's own call counts say how the waiting was done.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.applier import Applier, ApplyReport, Result
from reconciler.arm.client import ArmClient
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, LroMode, transport
from reconciler.manifest.load import load
from reconciler.plan.planner import Options
from reconciler.session import Target, arm_client, make_plan
from tests.fakes import FakeTime

GROUPS = ("rg-one", "rg-two")


def _manifest(per_group: int) -> str:
    docs = []
    for group in GROUPS:
        docs += [
            f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: ws-{group}-{i}, "
            f"subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {group}}}\n"
            "spec: {location: westeurope}\n"
            for i in range(per_group)
        ]
    return "---\n".join(docs)


def _apply(tmp_path: Path, per_group: int, **knobs: Any) -> tuple[ApplyReport, ArmClient, Emulator]:
    time = FakeTime()
    emulator = Emulator(
        knobs=Knobs(strict_dependencies=False, **knobs),  # workspaces without links
        clock=time,
        resource_groups=tuple((DEFAULT_SUBSCRIPTION, g) for g in GROUPS),
    )
    target = Target("http://127.0.0.1", transport=transport(emulator), clock=time, sleep=time.sleep)
    path = tmp_path / "ws.yaml"
    path.write_text(_manifest(per_group), encoding="utf-8")
    manifests = load([path], env={}).manifests

    async def go() -> tuple[ApplyReport, ArmClient]:
        plan = await make_plan(manifests, target, {}, options=Options())
        async with arm_client(target) as client:
            return await Applier(client, manifests, {}).apply(plan), client

    report, client = asyncio.run(go())
    return report, client, emulator


@pytest.mark.parametrize("mode", list(LroMode))
def test_workspaces_provisioning_in_one_group_are_polled_with_one_list_a_round(
    tmp_path: Path, mode: LroMode
) -> None:
    report, client, _ = _apply(
        tmp_path, per_group=5, provisioning_seconds=600, retry_after_seconds=15, lro_mode=mode
    )
    assert report.ok, report.results
    assert {r for r, _ in report.results.values()} == {Result.CREATED}
    calls = client.stats.by_kind
    # at most one list per group per Retry-After (the fake clock is shared by both groups'
    # rounds, so fewer happen); no GET of each workspace: 10 workspaces polled one by one
    # would make 400 reads
    assert 0 < calls["operation.list"] <= 2 * (600 // 15 + 1), calls
    assert calls["operation.poll"] == 0 and calls["operation.final"] == 0, calls


def test_a_lone_workspace_is_polled_with_a_get_not_a_list(tmp_path: Path) -> None:
    report, client, _ = _apply(
        tmp_path, per_group=1, provisioning_seconds=60, retry_after_seconds=15
    )
    assert report.ok, report.results
    assert client.stats.by_kind["operation.list"] == 0
    assert 0 < client.stats.by_kind["operation.poll"] <= 2 * (60 // 15 + 1)


def test_a_failure_found_by_the_list_carries_the_operations_own_error(tmp_path: Path) -> None:
    report, client, _ = _apply(
        tmp_path, per_group=3, provisioning_seconds=60, retry_after_seconds=15, lro_failure_rate=1
    )
    details = [detail for result, detail in report.results.values()]
    assert {r for r, _ in report.results.values()} == {Result.FAILED}
    assert all("InternalServerError" in d and "injected fault" in d for d in details), details
    assert client.stats.by_kind["operation.poll"] == 6  # one status read per failure
