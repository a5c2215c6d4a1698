"""What `apply` does after its plan costs in proportion to the work, not to the report's size."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler.apply import runner
from reconciler.apply.applier import ApplyOptions, ApplyReport
from reconciler.arm.connect import Target
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, transport
from reconciler.manifest.load import load
from reconciler.plan.planner import Options
from reconciler.session import make_plan
from tests.fakes import FakeTime


def test_the_report_is_never_formatted_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # asyncio.run formats its finished task, result included, when it puts the SIGINT handler
    # back: a report holding thousands of resources' bodies must not be that result.
    time = FakeTime()
    emulator = Emulator(
        knobs=Knobs(strict_dependencies=False),
        clock=time,
        resource_groups=((DEFAULT_SUBSCRIPTION, "rg"),),
    )
    target = Target("http://127.0.0.1", transport=transport(emulator), clock=time, sleep=time.sleep)
    path = tmp_path / "ws.yaml"
    path.write_text(
        "---\n".join(
            "apiVersion: reconciler/v1\nkind: Workspace\n"
            f"metadata: {{name: ws-{i}, subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: rg}}"
            "\nspec: {location: westeurope}\n"
            for i in range(3)
        ),
        encoding="utf-8",
    )
    manifests = load([path], env={}).manifests
    plan = asyncio.run(make_plan(manifests, target, {}, options=Options()))
    formatted: list[int] = []

    def counted(report: ApplyReport) -> str:
        formatted.append(len(report.resources))
        return "ApplyReport(...)"

    monkeypatch.setattr(ApplyReport, "__repr__", counted)
    assert runner.execute(plan, manifests, target, {}, ApplyOptions()) == 0
    assert "Apply: 3 created" in capsys.readouterr().out
    assert formatted == []
    assert len(emulator.state.workspaces) == 3
