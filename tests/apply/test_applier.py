"""The applier on its own: given a plan, what it writes, what it reports, and what it refuses.

The emulator answers in-process (its ASGI-like app behind an httpx transport) on a fake clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from reconciler import kinds
from reconciler.apply.applier import Applier, ApplyOptions, ApplyReport, Result
from reconciler.arm.connect import Target, arm_client
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, transport
from reconciler.errors import ArmThrottled
from reconciler.manifest.load import LoadOptions, load
from reconciler.manifest.model import ManifestSet
from reconciler.plan.model import Plan
from reconciler.plan.planner import Options
from reconciler.session import make_plan, run_apply
from tests.fakes import FakeTime
from tests.linked import LINKED_YAML

RG = "rg-applier"
MANIFEST = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: westeurope}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-a}}
spec: {{properties: {{description: first, {LINKED_YAML}}}}}
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


class Faulty(httpx.AsyncBaseTransport):
    """The emulator behind a fault: ``setup.fault`` may answer a request instead of it, or
    rewrite nothing (None)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, setup: Setup) -> None:
        self.inner = inner
        self.setup = setup

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.setup.fault
        answer = fault(request) if fault is not None else None
        if answer is not None:
            return answer
        return await self.inner.handle_async_request(request)


class Setup:
    def __init__(
        self,
        tmp: Path,
        *,
        fault: Callable[[httpx.Request], httpx.Response | None] | None = None,
        **knobs: object,
    ) -> None:
        self.time = FakeTime()
        self.emulator = Emulator(
            knobs=Knobs(**knobs),  # type: ignore[arg-type]
            clock=self.time,
            resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
        )
        self.fault = fault
        self.target = Target(
            "http://127.0.0.1",
            transport=Faulty(transport(self.emulator), self),
            clock=self.time,
            sleep=self.time.sleep,
        )
        self.path = tmp / "m.yaml"
        self.path.write_text(MANIFEST, encoding="utf-8")

    def manifests(self) -> ManifestSet:
        result = load([self.path], LoadOptions(cross_check=kinds.cross_check), env=ENV)
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


def _endless_409(request: httpx.Request) -> httpx.Response | None:
    if request.method == "PUT" and request.url.path.endswith("/workspaces/ws-a"):
        error = {"code": "AnotherOperationInProgress", "message": "an update is running"}
        return httpx.Response(409, json={"error": error})
    return None


def test_an_endless_conflict_gives_up_at_the_deadline(tmp_path: Path) -> None:
    setup = Setup(tmp_path, fault=_endless_409)
    started = setup.time.now
    report = setup.apply(setup.plan(), deadline=10.0)
    results = _by_name(report)
    outcome, detail = results["ws-a"]
    assert outcome is Result.FAILED and "AnotherOperationInProgress" in detail
    assert results["git-open"][0] is Result.SKIPPED  # never written under a failed workspace
    assert setup.time.now - started <= 10.0
    assert setup.puts() == 0
    setup.fault = None  # the other operation ends: a rerun converges
    assert setup.apply(setup.plan()).ok
    assert not setup.plan().has_changes


def test_bogus_rate_limit_headers_slow_nothing_down(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    inner = transport(setup.emulator)

    class Bogus(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            answer = await inner.handle_async_request(request)
            for kind in ("reads", "writes"):
                answer.headers[f"x-ms-ratelimit-remaining-subscription-{kind}"] = "-1000000"
            return answer

    setup.target = Target(
        "http://127.0.0.1", transport=Bogus(), clock=setup.time, sleep=setup.time.sleep
    )
    started = setup.time.now
    assert setup.apply(setup.plan(), deadline=120.0).ok
    assert not setup.plan().has_changes
    assert setup.time.now - started < 120.0


def test_the_deadline_also_bounds_the_plan_apply_makes_first(tmp_path: Path) -> None:
    def throttled(request: httpx.Request) -> httpx.Response | None:
        error = {"code": "TooManyRequests", "message": "slow down"}
        return httpx.Response(429, json={"error": error}, headers={"Retry-After": "100"})

    setup = Setup(tmp_path, fault=throttled)
    target = replace(setup.target, retries=50)
    started = setup.time.now
    with pytest.raises(ArmThrottled):
        run_apply(setup.manifests(), target, ENV, options=Options(), auto_approve=True, deadline=10)
    assert setup.time.now - started <= 10.0


class Trickle(httpx.AsyncByteStream):
    """A body that arrives one byte every 50 ms (real time: the total timeout is real)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(200):
            await asyncio.sleep(0.05)
            yield b" "


def test_a_slow_loris_answer_to_a_put_fails_that_resource_and_a_rerun_converges(
    tmp_path: Path,
) -> None:
    def slow_put(request: httpx.Request) -> httpx.Response | None:
        if request.method == "PUT" and request.url.path.endswith("/workspaces/ws-a"):
            return httpx.Response(200, stream=Trickle())
        return None

    setup = Setup(tmp_path, fault=slow_put)
    setup.target = replace(setup.target, timeout=0.2, retries=1)
    report = setup.apply(setup.plan())
    outcome, detail = _by_name(report)["ws-a"]
    assert outcome is Result.FAILED and "timed out: no complete answer within 0.2 s" in detail
    assert setup.puts() == 0  # nothing written that the plan did not show
    setup.fault = None
    assert setup.apply(setup.plan()).ok
    assert not setup.plan().has_changes


def test_an_operations_time_is_its_timeout_cut_short_by_the_runs_deadline() -> None:
    from reconciler.apply.budget import Budget

    now = [100.0]
    budget = Budget(lambda: now[0], timeout=60.0, deadline=90.0)
    assert budget.left() == 60.0
    now[0] += 50
    assert budget.left() == 40.0  # 90 s from the start, 50 spent
    now[0] += 100
    assert budget.left() == 0.0
    budget.start()
    assert budget.left() == 60.0
    assert Budget(lambda: now[0], timeout=60.0).left() == 60.0  # no deadline
