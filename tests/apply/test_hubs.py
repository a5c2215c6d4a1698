"""Apply of a hub and its project: the project's PUT goes out only once its hub's write
(PUT and long-running operation) has ended, carries the hub's id and none of the fields a
project inherits (on create and on update, where the live project shows its hub's values),
and is skipped, with the reason, when its hub fails (counted unchanged when nothing of it was
to be written)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx

from reconciler.apply.applier import ApplyReport, Result
from reconciler.emulator import DEFAULT_SUBSCRIPTION
from reconciler.emulator.state import State
from tests.apply.test_applier import RG, Setup, _by_name
from tests.linked import LINKED_YAML

WORKSPACES = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces"
)
INHERITED = {
    "keyVault",
    "storageAccount",
    "applicationInsights",
    "containerRegistry",
    "managedNetwork",
    "encryption",
}
MANIFEST = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: westeurope,
        apiVersions: {{Workspace: "2025-09-01"}}}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: team-project, hub: team-hub}}
spec: {{kind: Project, properties: {{description: {{description}}}}}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: team-hub}}
spec:
  kind: Hub
  properties: {{{LINKED_YAML}, managedNetwork: {{isolationMode: AllowInternetOutbound}}}}
"""


class Recorder:
    """What the project's PUTs sent, and its hub's state in the emulator at that moment."""

    def __init__(self) -> None:
        self.setup: Setup | None = None
        self.bodies: list[dict[str, object]] = []
        self.hub_states: list[str | None] = []
        self.fail_hub = False

    def __call__(self, request: httpx.Request) -> httpx.Response | None:
        assert self.setup is not None
        path = request.url.path.lower()
        if request.method != "PUT":
            return None
        if path.endswith("/workspaces/team-hub") and self.fail_hub:
            return httpx.Response(
                400, json={"error": {"code": "BadRequest", "message": "hub refused"}}
            )
        if path.endswith("/workspaces/team-project"):
            emulator = self.setup.emulator
            emulator.state.settle(self.setup.time())
            hub = emulator.state.workspaces.get(State.ws_key(DEFAULT_SUBSCRIPTION, RG, "team-hub"))
            self.hub_states.append(None if hub is None or hub.operation else hub.state)
            self.bodies.append(json.loads(request.content))
        return None


def _setup(tmp_path: Path, description: str = "first") -> tuple[Setup, Recorder]:
    recorder = Recorder()
    # Provisioning takes a while: a project sent alongside its hub would find it Creating.
    setup = Setup(tmp_path, fault=recorder, provisioning_seconds=30, retry_after_seconds=5)
    recorder.setup = setup
    setup.path.write_text(MANIFEST.replace("{description}", description), encoding="utf-8")
    return setup, recorder


def test_the_project_is_written_after_its_hub_with_its_id_and_nothing_it_inherits(
    tmp_path: Path,
) -> None:
    setup, recorder = _setup(tmp_path)
    report = setup.apply(setup.plan())
    assert _by_name(report) == {
        "team-hub": (Result.CREATED, ""),
        "team-project": (Result.CREATED, ""),
    }
    assert recorder.hub_states == ["Succeeded"]
    (body,) = recorder.bodies
    properties = body["properties"]
    assert isinstance(properties, dict)
    assert properties["hubResourceId"] == f"{WORKSPACES}/team-hub"
    assert not INHERITED & set(properties)


def test_an_update_of_a_project_sends_back_nothing_it_inherits(tmp_path: Path) -> None:
    setup, recorder = _setup(tmp_path)
    setup.apply(setup.plan())
    setup.path.write_text(MANIFEST.replace("{description}", "second"), encoding="utf-8")
    plan = setup.plan()
    project = next(c for c in plan.changes if c.address.endswith("/team-project"))
    # The live project shows what it inherits from its hub …
    assert isinstance(project.before, dict)
    assert {"keyVault", "storageAccount", "managedNetwork"} <= set(project.before["properties"])
    # … and only its own description differs.
    assert [d.path for d in project.diffs] == ["properties.description"]
    report = setup.apply(plan)
    assert _by_name(report)["team-project"] == (Result.UPDATED, "")
    properties = recorder.bodies[-1]["properties"]
    assert isinstance(properties, dict)
    assert properties["description"] == "second"
    assert not INHERITED & set(properties)


def test_a_project_whose_hub_fails_is_skipped_naming_it(tmp_path: Path) -> None:
    setup, recorder = _setup(tmp_path)
    recorder.fail_hub = True
    report = setup.apply(setup.plan())
    results = _by_name(report)
    assert results["team-hub"][0] is Result.FAILED
    assert results["team-project"][0] is Result.SKIPPED
    assert "team-hub, which it names, was not applied" in results["team-project"][1]
    assert recorder.bodies == []


def test_an_unchanged_project_stays_unchanged_when_its_hub_fails(tmp_path: Path) -> None:
    """Nothing of the project is to be written, so nothing waits for its hub: the report
    counts it unchanged, as the plan did, not skipped."""
    setup, recorder = _setup(tmp_path)
    setup.apply(setup.plan())
    setup.path.write_text(
        MANIFEST.replace("{description}", "first").replace(
            "managedNetwork:", "description: hub changed, managedNetwork:"
        ),
        encoding="utf-8",
    )
    recorder.fail_hub = True
    report = setup.apply(setup.plan())
    results = _by_name(report)
    assert results["team-hub"][0] is Result.FAILED
    assert results["team-project"] == (Result.UNCHANGED, "")


def test_a_hub_named_by_its_arm_id_and_declared_in_the_run_is_written_first(
    tmp_path: Path,
) -> None:
    setup, recorder = _setup(tmp_path)
    by_id = MANIFEST.replace("{description}", "first").replace(
        "metadata: {name: team-project, hub: team-hub}\nspec: {kind: Project, properties: {",
        f"metadata: {{name: team-project}}\nspec: {{kind: Project, properties: "
        f"{{hubResourceId: {WORKSPACES}/TEAM-HUB, ",
    )
    assert "hubResourceId" in by_id
    setup.path.write_text(by_id, encoding="utf-8")
    report = setup.apply(setup.plan())
    assert _by_name(report)["team-project"] == (Result.CREATED, "")
    assert recorder.hub_states == ["Succeeded"]


def test_projects_naming_each_other_do_not_wait_forever(tmp_path: Path) -> None:
    """Neither is a hub (Azure refuses both), but apply ends: a wait that would close a
    cycle is not made."""
    setup, _ = _setup(tmp_path)
    projects = "---\n".join(
        f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: {name}}}\n"
        f"spec: {{kind: Project, properties: {{hubResourceId: {WORKSPACES}/{other}}}}}\n"
        for name, other in (("p-one", "p-two"), ("p-two", "p-one"))
    )
    defaults = MANIFEST.split("---\n")[0]
    setup.path.write_text(f"{defaults}---\n{projects}", encoding="utf-8")
    plan = setup.plan()
    reports: list[ApplyReport] = []
    # A deadlock would hang the test run: apply in a thread, given ample (real) time.
    worker = threading.Thread(target=lambda: reports.append(setup.apply(plan)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert reports, "apply waits forever on projects that name each other"
    results = _by_name(reports[0])
    assert set(results) == {"p-one", "p-two"}
    assert all(result is not Result.CREATED for result, _ in results.values())
