"""The OutboundRule kind against the in-process emulator on a fake clock: plan, apply, drift,
export. Azure rewrites a workspace's whole firewall for every rule it writes, so the rules of
one workspace are written one at a time; the rules Azure makes itself (category Required,
Recommended, Dependency) are never drift, never deleted and never exported.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import httpx

from reconciler import export
from reconciler.apply.applier import Applier, ApplyOptions, ApplyReport, Result
from reconciler.arm.connect import Target, arm_client
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, transport
from reconciler.manifest.load import load
from reconciler.manifest.model import Kind, ManifestSet
from reconciler.plan.model import Action, Plan, ReasonCode
from reconciler.plan.planner import Options
from reconciler.session import make_plan
from tests.fakes import FakeTime
from tests.linked import LINKED_YAML

RG = "rg-rules"
WORKSPACE = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: westeurope}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: hub-a, apiVersion: 2025-09-01}}
spec:
  kind: Hub
  properties: {{{LINKED_YAML}, managedNetwork: {{isolationMode: AllowOnlyApprovedOutbound}}}}
"""


def _rule(name: str, properties: str) -> str:
    return (
        f"apiVersion: reconciler/v1\nkind: OutboundRule\n"
        f"metadata: {{name: {name}, workspace: hub-a}}\nspec: {{properties: {properties}}}\n"
    )


def _fqdn(i: int) -> str:
    return _rule(f"fqdn-{i:02}", f"{{type: FQDN, destination: host{i}.example.com}}")


SERVICE_TAG = _rule(
    "storage-tag",
    "{type: ServiceTag, destination: {serviceTag: Storage, protocol: TCP, portRanges: '443', "
    "action: Allow}}",
)
PRIVATE_ENDPOINT = _rule(
    "kv-endpoint",
    "{type: PrivateEndpoint, destination: {serviceResourceId: "
    f"'/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.KeyVault/vaults/kv2', subresourceTarget: vault}}",
)


class Recorder(httpx.AsyncBaseTransport):
    """The emulator, recording each request's method and path in the order sent. Each answer
    lets the other tasks run first (``asyncio.sleep(0)`` waits for no time), as a network
    does: concurrent writes then show as PUTs sent back to back."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        await asyncio.sleep(0)
        return await self.inner.handle_async_request(request)


class Rules:
    def __init__(self, tmp: Path, *documents: str) -> None:
        self.time = FakeTime()
        self.emulator = Emulator(
            knobs=Knobs(retry_after_seconds=1),
            clock=self.time,
            resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
        )
        self.recorder = Recorder(transport(self.emulator))
        self.target = Target(
            "http://127.0.0.1", transport=self.recorder, clock=self.time, sleep=self.time.sleep
        )
        self.path = tmp / "m.yaml"
        self.write(*documents)

    def write(self, *documents: str) -> None:
        self.path.write_text("---\n".join([WORKSPACE, *documents]), encoding="utf-8")

    def manifests(self) -> ManifestSet:
        result = load([self.path])
        assert result.ok, [p.render() for p in result.problems]
        return result.manifests

    def plan(self, **options: bool) -> Plan:
        return asyncio.run(make_plan(self.manifests(), self.target, {}, options=Options(**options)))

    def apply(self, plan: Plan) -> ApplyReport:
        async def go() -> ApplyReport:
            async with arm_client(self.target) as client:
                applier = Applier(client, self.manifests(), {}, options=ApplyOptions())
                return await applier.apply(plan)

        return asyncio.run(go())

    def rules(self) -> dict[str, str]:
        """Every rule of hub-a in Azure, by name, with its category."""
        client = httpx.Client(transport=transport(self.emulator), base_url="http://127.0.0.1")
        listed = client.get(
            f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
            "Microsoft.MachineLearningServices/workspaces/hub-a/outboundRules",
            params={"api-version": "2025-09-01"},
            headers={"Authorization": "Bearer x"},
        )
        assert listed.status_code == 200, listed.text
        return {r["name"]: r["properties"]["category"] for r in listed.json()["value"]}


def _actions(plan: Plan) -> dict[str, tuple[Action, ReasonCode]]:
    return {c.address.rsplit("/", 1)[-1]: (c.action, c.code) for c in plan.changes}


def test_twenty_rules_are_written_one_at_a_time_and_none_is_lost(tmp_path: Path) -> None:
    rules = Rules(tmp_path, *(_fqdn(i) for i in range(20)))
    report = rules.apply(rules.plan())
    assert [r for r, _ in report.results.values()].count(Result.CREATED) == 21
    puts = [
        i
        for i, (method, path) in enumerate(rules.recorder.sent)
        if method == "PUT" and "/outboundRules/" in path
    ]
    assert len(puts) == 20
    # Each rule's operation is followed to its end before the next rule is sent.
    assert all(b - a > 1 for a, b in itertools.pairwise(puts)), rules.recorder.sent
    assert {f"fqdn-{i:02}" for i in range(20)} <= set(rules.rules())
    again = rules.plan()
    assert not again.has_changes, [(c.address, c.reason) for c in again.changes]


HUB_ID = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces/hub-a"
)


def test_every_type_applies_then_plans_clean_and_azure_made_rules_survive_prune(
    tmp_path: Path,
) -> None:
    rules = Rules(tmp_path, _fqdn(1), SERVICE_TAG, PRIVATE_ENDPOINT)
    first = rules.plan()
    assert {c.api_version for c in first.changes if c.kind == Kind("OutboundRule")} == {""}
    rules.apply(first)
    made = {name for name, category in rules.rules().items() if category != "UserDefined"}
    assert made, "the emulator adds Azure's Required rules for AllowOnlyApprovedOutbound"
    pruning = rules.plan(prune=True)
    assert not pruning.has_changes and not pruning.has_drift
    actions = _actions(pruning)
    assert {actions[name] for name in made} == {(Action.UNMANAGED, ReasonCode.MADE_BY_SERVICE)}
    assert actions["storage-tag"] == (Action.NO_OP, ReasonCode.MATCHES_MANIFEST)
    rules.apply(pruning)
    assert made <= set(rules.rules())


def test_a_rule_changed_in_the_portal_is_drift_and_apply_puts_it_back(tmp_path: Path) -> None:
    rules = Rules(tmp_path, _fqdn(1), _fqdn(2))
    rules.apply(rules.plan())
    patch = {"outboundRules": {"fqdn-01": {"destination": "evil.example.com"}}}
    assert rules.emulator.edit(HUB_ID, {"properties": {"managedNetwork": patch}})
    drifted = rules.plan()
    assert [
        (c.address.rsplit("/", 1)[-1], [d.path for d in c.diffs])
        for c in drifted.changes
        if c.action is Action.UPDATE
    ] == [("fqdn-01", ["properties.destination"])]
    rules.apply(drifted)
    assert not rules.plan().has_changes


def test_export_writes_the_users_rules_and_never_azures(tmp_path: Path) -> None:
    rules = Rules(tmp_path, SERVICE_TAG)
    rules.apply(rules.plan())

    async def read() -> list[export.Tree]:
        async with arm_client(rules.target) as client:
            return await export.read(client, DEFAULT_SUBSCRIPTION, RG, None)

    (file,) = export.files_for(tmp_path / "out", asyncio.run(read()))
    assert "kind: OutboundRule" in file.text and "name: storage-tag" in file.text
    assert "category: Required" not in file.text and "__SYS" not in file.text
    (tmp_path / "out").mkdir()
    exported = tmp_path / "out" / "hub.yaml"
    exported.write_text(file.text, encoding="utf-8")
    again = load([exported])
    assert again.ok, [p.render() for p in again.problems]
    (rule,) = [m for m in again.manifests.resources if m.address.kind == Kind("OutboundRule")]
    assert rule.spec["properties"]["destination"]["serviceTag"] == "Storage"


def test_updating_the_workspace_keeps_its_rules(tmp_path: Path) -> None:
    rules = Rules(tmp_path, _fqdn(1), SERVICE_TAG)
    rules.apply(rules.plan())
    before = rules.rules()
    rules.path.write_text(
        rules.path.read_text(encoding="utf-8").replace(
            "kind: Hub\n", "kind: Hub\n  tags: {a: b}\n"
        ),
        encoding="utf-8",
    )
    update = rules.plan()
    assert [c.action for c in update.changes if c.kind == Kind("Workspace")] == [Action.UPDATE]
    rules.apply(update)
    assert rules.rules() == before
    assert not rules.plan().has_changes
