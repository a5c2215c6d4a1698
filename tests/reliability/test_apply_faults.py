"""apply under the failures ARM really produces, run instantly on a fake clock.

Each fault gives its documented outcome, and a rerun with the fault gone converges with no
duplicate write (PUTs counted by the emulator).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.applier import Applier, ApplyOptions, ApplyReport, Event, Result
from reconciler.apply.runner import check_saved
from reconciler.arm.connect import Target, arm_client
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, LroMode, transport
from reconciler.errors import UsageError
from reconciler.manifest.load import load
from reconciler.manifest.model import ManifestSet
from reconciler.plan.model import Action, Plan, ReasonCode
from reconciler.plan.planner import Options
from reconciler.render.json import render_json
from reconciler.session import make_plan
from tests.fakes import FakeTime
from tests.linked import LINKED, LINKED_YAML

RG = "rg-apply"
ENV = {"PAT": "canary-pat-value"}
MANIFEST = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: westeurope,
       owner: team-a}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-a}}
spec: {{properties: {{description: first, {LINKED_YAML}}}}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-b}}
spec: {{properties: {{description: second, {LINKED_YAML}}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: git-a, workspace: ws-a}}
spec: {{properties: {{authType: PAT, category: Git, target: "https://git/a",
                      credentials: {{pat: {{fromEnv: PAT}}}}}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: git-b, workspace: ws-b}}
spec: {{properties: {{authType: None, category: Git, target: "https://git/b"}}}}
"""


class World:
    def __init__(self, tmp: Path, **knobs: Any) -> None:
        self.time = FakeTime()
        self.emulator = Emulator(
            knobs=Knobs(**knobs), clock=self.time, resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
        )
        # A loopback endpoint: the static development token, as against the real emulator.
        self.target = Target(
            "http://127.0.0.1",
            transport=transport(self.emulator),
            clock=self.time,
            sleep=self.time.sleep,
            retries=5,
        )
        self.path = tmp / "m.yaml"
        self.write(MANIFEST)

    def write(self, text: str) -> None:
        self.path.write_text(text, encoding="utf-8")

    def manifests(self) -> ManifestSet:
        result = load([self.path], env=ENV)
        assert result.ok, [p.render() for p in result.problems]
        return result.manifests

    def plan(self) -> Plan:
        return asyncio.run(make_plan(self.manifests(), self.target, ENV, options=Options()))

    def apply(self, notify: Any = None, **options: Any) -> ApplyReport:
        manifests = self.manifests()

        async def go() -> ApplyReport:
            strict = bool(options.get("strict", False))
            plan = await make_plan(manifests, self.target, ENV, options=Options(strict=strict))
            async with arm_client(self.target) as client:
                applier = Applier(
                    client, manifests, ENV, options=ApplyOptions(**options), notify=notify
                )
                return await applier.apply(plan)

        return asyncio.run(go())

    def puts(self) -> int:
        return sum(self.emulator.stats()["puts"].values())


def _results(report: ApplyReport) -> dict[str, Result]:
    return {a.rsplit("/", 1)[-1]: r for a, (r, _) in report.results.items()}


def _converges(world: World, expected_puts: int) -> None:
    world.emulator.knobs.update(
        {
            "lro_failure_rate": 0.0,
            "lro_cancel_rate": 0.0,
            "error_500_rate": 0.0,
            "error_503_rate": 0.0,
            "drop_rate": 0.0,
            "throttle": False,
        }
    )
    rerun = world.apply()
    assert rerun.ok, rerun.results
    assert not world.plan().has_changes
    assert world.puts() == expected_puts


@pytest.mark.parametrize("mode", list(LroMode))
def test_provisioning_delay_is_waited_out_in_every_lro_shape(tmp_path: Path, mode: LroMode) -> None:
    world = World(tmp_path, provisioning_seconds=600, lro_mode=mode, retry_after_seconds=15)
    report = world.apply()
    assert report.ok, report.results
    assert set(_results(report).values()) == {Result.CREATED}
    assert world.time.now - 1_700_000_000.0 >= 600  # waited on the fake clock, not for real
    assert not world.plan().has_changes
    assert world.puts() == 4


@pytest.mark.parametrize(
    ("knob", "code"),
    [("lro_failure_rate", "InternalServerError"), ("lro_cancel_rate", "OperationCanceled")],
)
def test_failed_workspace_skips_its_connections_and_a_rerun_converges(
    tmp_path: Path, knob: str, code: str
) -> None:
    world = World(tmp_path, provisioning_seconds=30, **{knob: 1.0})
    report = world.apply()
    results = _results(report)
    assert not report.ok
    assert results["ws-a"] is Result.FAILED and results["ws-b"] is Result.FAILED
    assert results["git-a"] is Result.SKIPPED and results["git-b"] is Result.SKIPPED
    detail = report.results[next(a for a in report.results if a.endswith("ws-a"))][1]
    assert code in detail
    assert world.puts() == 2  # the two workspace PUTs; no connection was attempted
    _converges(world, expected_puts=2 + 4)


def test_transient_errors_and_dropped_connections_are_retried(tmp_path: Path) -> None:
    world = World(tmp_path, error_500_rate=0.2, error_503_rate=0.2, drop_rate=0.1, seed=3)
    report = world.apply()
    assert report.ok, report.results
    assert world.time.slept  # backoff happened, on the fake clock
    _converges(world, expected_puts=4)


def test_throttling_honours_retry_after(tmp_path: Path) -> None:
    world = World(tmp_path, throttle=True, throttle_scale=0.01)  # 2 writes, 0.1/s refill
    report = world.apply()
    assert report.ok, report.results
    assert world.emulator.stats()["statuses"].get("429", 0) > 0
    assert any(s >= 5 for s in world.time.slept)  # Retry-After of the slow write bucket
    _converges(world, expected_puts=4)


def test_another_operation_in_progress_is_waited_for(tmp_path: Path) -> None:
    world = World(tmp_path, provisioning_seconds=120)
    assert world.apply().ok
    world.write(MANIFEST.replace("description: first", "description: changed"))
    # Someone else starts an update of ws-a right now (provisioning takes 120 s).
    client = Target("http://127.0.0.1", transport=transport(world.emulator))
    import httpx

    with httpx.Client(
        transport=client.transport,
        base_url=client.endpoint,
        headers={"Authorization": "Bearer other"},
    ) as other:
        body = world.emulator.state.workspaces[(DEFAULT_SUBSCRIPTION, RG.lower(), "ws-a")].body
        answer = other.put(
            body["id"],
            params={"api-version": "2023-04-01"},
            json={
                "location": "westeurope",
                "properties": {"description": "other", **LINKED},
            },
        )
        assert answer.status_code == 202
    report = world.apply()
    assert report.ok, report.results
    assert _results(report)["ws-a"] is Result.UPDATED
    assert not world.plan().has_changes


def test_replacement_is_refused_unless_allowed(tmp_path: Path) -> None:
    world = World(tmp_path)
    assert world.apply().ok
    # ws-a names another storage account (LINKED_YAML ends with the storage account's id)
    world.write(MANIFEST.replace(f"first, {LINKED_YAML}", f"first, {LINKED_YAML}2"))
    plan = world.plan()
    ws_a = next(c for c in plan.changes if c.address.endswith("ws-a"))
    assert ws_a.action is Action.REPLACE_REQUIRED
    refused = world.apply()
    assert _results(refused)["ws-a"] is Result.SKIPPED
    assert _results(refused)["git-a"] is Result.UNCHANGED  # nothing touched it
    assert "--allow-replace" in refused.results[ws_a.address][1]
    events: list[Event] = []
    replaced = world.apply(allow_replace=True, notify=events.append)
    assert replaced.ok, replaced.results
    assert _results(replaced)["ws-a"] is Result.REPLACED
    # Planned unchanged, but its workspace came back empty: the progress says what is done.
    assert _results(replaced)["git-a"] is Result.CREATED
    started = {e.address.rsplit("/", 1)[-1]: e.detail for e in events if e.status == "started"}
    assert started["git-a"] == "create (its workspace was replaced)"
    assert not world.plan().has_changes


def test_a_stale_saved_plan_is_refused(tmp_path: Path) -> None:
    world = World(tmp_path)
    assert world.apply().ok
    world.write(MANIFEST.replace("description: second", "description: reviewed"))
    saved = tmp_path / "plan.json"
    saved.write_text(render_json(world.plan()))
    check_saved(saved, world.plan())  # still true: accepted
    ws_b = world.emulator.state.workspaces[(DEFAULT_SUBSCRIPTION, RG.lower(), "ws-b")].body
    world.emulator.edit(ws_b["id"], {"tags": {"touched": "in the portal"}})
    with pytest.raises(UsageError, match="ws-b changed in Azure since"):
        check_saved(saved, world.plan())
    world.write(MANIFEST)
    with pytest.raises(UsageError, match="manifests changed"):
        check_saved(saved, world.plan())


def test_secrets_are_sent_only_in_the_put_body(tmp_path: Path) -> None:
    world = World(tmp_path)
    assert world.apply().ok
    stored = world.emulator.state.connections[(DEFAULT_SUBSCRIPTION, RG.lower(), "ws-a", "git-a")]
    assert stored.credentials == {"pat": "canary-pat-value"}
    assert stored.body["properties"]["metadata"]["managed-by"] == "azureml-reconciler/team-a"
    assert "canary-pat-value" not in repr(world.plan())


def test_a_rotated_secret_is_applied(tmp_path: Path) -> None:
    world = World(tmp_path)
    assert world.apply().ok
    ENV_ROTATED = {"PAT": "canary-pat-rotated"}
    manifests = load([world.path], env=ENV_ROTATED).manifests
    plan = asyncio.run(make_plan(manifests, world.target, ENV_ROTATED, options=Options()))
    git_a = next(c for c in plan.changes if c.address.endswith("git-a"))
    assert git_a.action is Action.UPDATE and git_a.code is ReasonCode.SECRET_ROTATED

    async def go() -> ApplyReport:
        async with arm_client(world.target) as client:
            return await Applier(client, manifests, ENV_ROTATED).apply(plan)

    assert asyncio.run(go()).ok
    stored = world.emulator.state.connections[(DEFAULT_SUBSCRIPTION, RG.lower(), "ws-a", "git-a")]
    assert stored.credentials == {"pat": "canary-pat-rotated"}
    assert stored.body["properties"]["metadata"]["managed-by"] == "azureml-reconciler/team-a"


def test_prune_deletes_only_what_this_tool_created(tmp_path: Path) -> None:
    world = World(tmp_path)
    assert world.apply().ok
    import httpx

    ws_b = world.emulator.state.workspaces[(DEFAULT_SUBSCRIPTION, RG.lower(), "ws-b")].body
    with httpx.Client(
        transport=transport(world.emulator),
        base_url="http://127.0.0.1",
        headers={"Authorization": "Bearer portal"},
    ) as portal:
        portal.put(
            ws_b["id"] + "/connections/made-by-hand",
            params={"api-version": "2024-04-01"},
            json={"properties": {"authType": "None", "category": "Git"}},
        ).raise_for_status()
    # git-b is no longer declared.
    world.write(MANIFEST.rsplit("---", 1)[0])
    plain = world.plan()
    actions = {c.address.rsplit("/", 1)[-1]: c.action for c in plain.changes}
    assert actions["git-b"] is Action.UNMANAGED and actions["made-by-hand"] is Action.UNMANAGED
    manifests = world.manifests()
    pruning = asyncio.run(make_plan(manifests, world.target, ENV, options=Options(prune=True)))
    actions = {c.address.rsplit("/", 1)[-1]: c.action for c in pruning.changes}
    assert actions["git-b"] is Action.DELETE
    assert actions["made-by-hand"] is Action.UNMANAGED  # not ours: never deleted

    async def go() -> ApplyReport:
        async with arm_client(world.target) as client:
            return await Applier(client, manifests, ENV).apply(pruning)

    report = asyncio.run(go())
    assert _results(report)["git-b"] is Result.DELETED
    remaining = {k[3] for k in world.emulator.state.connections}
    assert remaining == {"git-a", "made-by-hand"}


def test_a_long_operation_past_the_timeout_is_reported_with_its_url(tmp_path: Path) -> None:
    world = World(tmp_path, provisioning_seconds=7200, retry_after_seconds=60)
    report = world.apply(timeout=600)
    results = _results(report)
    assert results["ws-a"] is Result.FAILED and results["git-a"] is Result.SKIPPED
    detail = report.results[next(a for a in report.results if a.endswith("ws-a"))][1]
    assert "did not finish within 600 s" in detail and "mlworkspaceOperationsStatus" in detail
    world.time.now += 7200  # Azure finishes on its own
    _converges(world, expected_puts=2 + 2)  # the connections only: the workspaces are done


def test_the_overall_deadline_cuts_waits_short(tmp_path: Path) -> None:
    world = World(tmp_path, provisioning_seconds=7200, retry_after_seconds=60)
    report = world.apply(timeout=3600, deadline=300)
    assert not report.ok
    assert world.time.now - 1_700_000_000.0 <= 300 + 60


def test_a_token_expiring_mid_run_is_refreshed(tmp_path: Path) -> None:
    world = World(tmp_path, provisioning_seconds=60)

    class Refreshing:
        def __init__(self) -> None:
            self.issued = 0

        async def token(self) -> str:
            return f"token-{self.issued}"

        async def invalidate(self) -> None:
            self.issued += 1

        async def close(self) -> None:
            return None

    refreshing = Refreshing()
    manifests = world.manifests()
    plan = world.plan()
    world.emulator.knobs.expire_tokens = 1  # the next request is refused: token expired

    async def go() -> ApplyReport:
        from reconciler.arm.client import ArmClient

        async with ArmClient(
            "http://127.0.0.1",
            refreshing,
            transport=world.target.transport,
            clock=world.time,
            sleep=world.time.sleep,
        ) as client:
            return await Applier(client, manifests, ENV).apply(plan)

    report = asyncio.run(go())
    assert report.ok, report.results
    assert refreshing.issued == 1
    assert world.emulator.stats()["statuses"]["401"] == 1
    assert world.puts() == 4


def test_an_error_that_quotes_the_request_never_shows_the_secret(tmp_path: Path) -> None:
    import json as jsonlib

    import httpx

    world = World(tmp_path)
    assert world.apply().ok
    emulator_transport = transport(world.emulator)

    def echoing(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT" and "/connections/" in request.url.path:
            sent = jsonlib.loads(request.content)
            return httpx.Response(
                400,
                json={
                    "error": {"code": "BadRequest", "message": f"cannot use {jsonlib.dumps(sent)}"}
                },
            )
        return emulator_transport.handle_request(request)

    rotated = {"PAT": "canary-pat-echoed"}
    manifests = load([world.path], env=rotated).manifests
    target = Target(
        "http://127.0.0.1",
        transport=httpx.MockTransport(echoing),
        clock=world.time,
        sleep=world.time.sleep,
    )
    plan = asyncio.run(make_plan(manifests, target, rotated, options=Options()))

    async def go() -> ApplyReport:
        async with arm_client(target) as client:
            return await Applier(client, manifests, rotated).apply(plan)

    report = asyncio.run(go())
    result, detail = report.results[next(a for a in report.results if a.endswith("git-a"))]
    assert result is Result.FAILED
    assert "BadRequest" in detail and "(redacted)" in detail
    assert "canary-pat-echoed" not in detail


def test_an_update_keeps_what_the_manifest_does_not_declare(tmp_path: Path) -> None:
    """PUT replaces: sending only the declared fields would wipe settings made elsewhere."""
    world = World(tmp_path)
    assert world.apply().ok
    ws_a = world.emulator.state.workspaces[(DEFAULT_SUBSCRIPTION, RG.lower(), "ws-a")].body
    world.emulator.edit(
        ws_a["id"],
        {
            "tags": {"CostCenter": "42"},
            "properties": {"applicationInsights": "/subscriptions/x/insights/set-in-portal"},
        },
    )
    git_a = ws_a["id"] + "/connections/git-a"
    world.emulator.edit(git_a, {"properties": {"sharedUserList": ["alice"]}})
    world.write(
        MANIFEST.replace("description: first", "description: changed").replace(
            '"https://git/a"', '"https://git/a2"'
        )
    )
    assert world.apply().ok
    after = world.emulator.state.workspaces[(DEFAULT_SUBSCRIPTION, RG.lower(), "ws-a")].body
    assert after["properties"]["description"] == "changed"
    assert after["properties"]["applicationInsights"].endswith("set-in-portal")
    assert after["tags"] == {"CostCenter": "42"}
    conn = world.emulator.state.connections[(DEFAULT_SUBSCRIPTION, RG.lower(), "ws-a", "git-a")]
    assert conn.body["properties"]["target"] == "https://git/a2"
    assert conn.body["properties"]["sharedUserList"] == ["alice"]
    assert conn.credentials == {"pat": "canary-pat-value"}
    assert conn.body["properties"]["metadata"]["managed-by"] == "azureml-reconciler/team-a"
    assert not world.plan().has_changes


def test_strict_updates_send_the_manifest_as_the_whole_truth(tmp_path: Path) -> None:
    world = World(tmp_path)
    assert world.apply().ok
    ws_a = world.emulator.state.workspaces[(DEFAULT_SUBSCRIPTION, RG.lower(), "ws-a")].body
    world.emulator.edit(ws_a["id"], {"tags": {"CostCenter": "42"}})
    assert world.apply(strict=True).ok
    after = world.emulator.state.workspaces[(DEFAULT_SUBSCRIPTION, RG.lower(), "ws-a")].body
    assert after["tags"] == {}
