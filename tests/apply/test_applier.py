"""The applier on its own: given a plan, what it writes, what it reports, and what it refuses.

The emulator answers in-process (its ASGI-like app behind an httpx transport) on a fake clock.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from reconciler.apply.applier import Applier, ApplyOptions, ApplyReport, Result
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, transport
from reconciler.manifest.load import load
from reconciler.manifest.model import ManifestSet
from reconciler.plan.model import Plan
from reconciler.plan.planner import Options
from reconciler.session import Target, arm_client, make_plan
from tests.fakes import FakeTime

RG = "rg-applier"
MANIFEST = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: westeurope}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-a}}
spec: {{properties: {{description: first}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: git-secret, workspace: ws-a}}
spec: {{properties: {{authType: PAT, category: Git, target: "https://git/a",
                      credentials: {{pat: {{fromEnv: PAT}}}}}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: git-open, workspace: ws-a}}
spec: {{properties: {{authType: None, category: Git, target: "https://git/b"}}}}
"""
ENV = {"PAT": "canary-pat-4711"}


class Setup:
    def __init__(self, tmp: Path, **knobs: object) -> None:
        self.time = FakeTime()
        self.emulator = Emulator(
            knobs=Knobs(**knobs),  # type: ignore[arg-type]
            clock=self.time,
            resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
        )
        self.target = Target(
            "http://127.0.0.1",
            transport=transport(self.emulator),
            clock=self.time,
            sleep=self.time.sleep,
        )
        self.path = tmp / "m.yaml"
        self.path.write_text(MANIFEST, encoding="utf-8")

    def manifests(self) -> ManifestSet:
        result = load([self.path], env=ENV)
        assert result.ok, [p.render() for p in result.problems]
        return result.manifests

    def plan(self, env: dict[str, str] = ENV) -> Plan:
        return asyncio.run(make_plan(self.manifests(), self.target, env, options=Options()))

    def apply(self, plan: Plan, env: dict[str, str] = ENV, **options: object) -> ApplyReport:
        async def go() -> ApplyReport:
            async with arm_client(self.target) as client:
                applier = Applier(
                    client,
                    self.manifests(),
                    env,
                    options=ApplyOptions(**options),  # type: ignore[arg-type]
                )
                return await applier.apply(plan)

        return asyncio.run(go())

    def puts(self) -> int:
        return sum(self.emulator.stats()["puts"].values())


def _by_name(report: ApplyReport) -> dict[str, tuple[Result, str]]:
    return {address.rsplit("/", 1)[-1]: outcome for address, outcome in report.results.items()}


def test_a_secret_that_stops_resolving_fails_only_its_connection(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    plan = setup.plan()
    # Between plan and apply the variable went away (another step unset it, a new shell …).
    report = setup.apply(plan, env={})
    results = _by_name(report)
    assert results["ws-a"][0] is Result.CREATED
    assert results["git-open"][0] is Result.CREATED
    outcome, detail = results["git-secret"]
    assert outcome is Result.FAILED
    assert "PAT" in detail and "not set" in detail
    assert setup.puts() == 2  # nothing half-written for the connection without its secret
    assert not report.ok


def test_a_no_op_plan_writes_nothing(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    assert setup.apply(setup.plan()).ok
    before = setup.puts()
    report = setup.apply(setup.plan())
    assert {outcome for outcome, _ in report.results.values()} == {Result.UNCHANGED}
    assert setup.puts() == before
