"""Hub and project workspaces (2025-09-01) end to end: the real CLI against the emulator
over loopback.

A project names its hub by manifest reference (``metadata.hub``); apply writes the hub first
and the project with the hub's id and nothing it inherits (the emulator refuses a project PUT
that sends them, as Azure does); a plan after apply shows no changes; what a project inherits
from its hub is never drift, even where live differs from what the project declares; a hub
reference naming no declared hub is a validate error at its file and line, before any call.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from tests.e2e.conftest import Azure
from tests.linked import KEY_VAULT, STORAGE_ACCOUNT

RG = "workspace-1234"
WORKSPACES = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces"
)
INSIGHTS = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "microsoft.insights/components"
)
INHERITED = (
    "keyVault",
    "storageAccount",
    "applicationInsights",
    "containerRegistry",
    "managedNetwork",
    "encryption",
)
MANIFESTS = f"""apiVersion: reconciler/v1
kind: Defaults
spec:
  subscription: {DEFAULT_SUBSCRIPTION}
  resourceGroup: {RG}
  location: eastus
  apiVersions: {{Workspace: "2025-09-01"}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: team-project, hub: {{hub}}}}
spec:
  kind: Project
  properties:
    friendlyName: Team project
    # The project's own idea of its application insights: its hub's is what counts.
    applicationInsights: {INSIGHTS}/project-own
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: team-hub}}
spec:
  kind: Hub
  properties:
    keyVault: {KEY_VAULT}
    storageAccount: {STORAGE_ACCOUNT}
    managedNetwork: {{isolationMode: AllowOnlyApprovedOutbound}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: team-git, workspace: team-hub}}
spec:
  properties: {{category: Git, authType: None, target: "https://git.example/team"}}
"""


def _manifests(tmp_path: Path, hub: str = "team-hub") -> Path:
    file = tmp_path / "hubs.yaml"
    file.write_text(MANIFESTS.replace("{hub}", hub), encoding="utf-8")
    return file


def _apply(azure: Azure, file: Path) -> str:
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return applied.stdout


def test_hub_and_project_apply_in_order_then_plan_shows_no_changes(
    azure: Azure, tmp_path: Path
) -> None:
    file = _manifests(tmp_path)
    out = _apply(azure, file)
    assert "Apply: 3 created" in out
    lines = out.splitlines()
    hub_created = next(i for i, line in enumerate(lines) if line.endswith("/team-hub  created"))
    project_started = next(i for i, line in enumerate(lines) if "/team-project  started" in line)
    assert hub_created < project_started  # the hub's PUT and operation ended first
    planned = azure.process("plan", "--endpoint", azure.url, "--detailed-exitcode", str(file))
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "No changes" in planned.stdout
    # Even --strict finds nothing to remove from the project: what it shows of its hub's (key
    # vault, storage, the managed network and its rules) is not its own.
    strict = azure.process(
        "plan",
        "--endpoint",
        azure.url,
        "--strict",
        "--detailed-exitcode",
        "--target",
        "team-project",
        str(file),
    )
    assert strict.returncode == 0, strict.stdout + strict.stderr


def test_the_project_stores_its_hub_and_nothing_it_inherits_yet_shows_its_hubs(
    azure: Azure, tmp_path: Path
) -> None:
    _apply(azure, _manifests(tmp_path))
    stored = azure.emulator.state.workspaces[(DEFAULT_SUBSCRIPTION, RG, "team-project")].body
    # What apply sent (the emulator keeps what a PUT wrote; it refuses inherited fields).
    assert stored["properties"]["hubResourceId"] == f"{WORKSPACES}/team-hub"
    assert not set(INHERITED) & {k for k, v in stored["properties"].items() if v is not None}
    # What a GET shows: the hub's.
    with httpx.Client(base_url=azure.url, headers={"Authorization": "Bearer t"}) as client:
        answer = client.get(f"{WORKSPACES}/team-project", params={"api-version": "2025-09-01"})
    shown = answer.json()["properties"]
    assert shown["keyVault"].lower() == KEY_VAULT.lower()
    assert shown["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"


def test_an_inherited_field_that_differs_in_live_state_is_not_drift(
    azure: Azure, tmp_path: Path
) -> None:
    file = _manifests(tmp_path)
    _apply(azure, file)
    # In the portal, the hub gets application insights; its project shows them, not the
    # ones its manifest declares.
    assert azure.emulator.edit(
        f"{WORKSPACES}/team-hub", {"properties": {"applicationInsights": f"{INSIGHTS}/hubs"}}
    )
    drift = azure.process("drift", "--endpoint", azure.url, str(file))
    assert drift.returncode == 0, drift.stdout + drift.stderr
    project = azure.process(
        "plan",
        "--endpoint",
        azure.url,
        "--strict",
        "--detailed-exitcode",
        "--target",
        "team-project",
        str(file),
    )
    assert project.returncode == 0, project.stdout + project.stderr
    # The hub itself does not declare it: --strict sees it there (the edit is live).
    hub = azure.process(
        "plan",
        "--endpoint",
        azure.url,
        "--strict",
        "--detailed-exitcode",
        "--target",
        "team-hub",
        str(file),
    )
    assert hub.returncode == 2 and "properties.applicationInsights" in hub.stdout, hub.stdout


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_a_project_whose_hub_is_not_declared_is_a_validate_error_at_its_line(
    azure: Azure, tmp_path: Path, command: str
) -> None:
    file = _manifests(tmp_path, hub="gone-hub")
    args = [command, str(file)] if command == "validate" else [command, "--endpoint", azure.url]
    if command == "apply":
        args.append("--auto-approve")
    if command != "validate":
        args.append(str(file))
    done = azure.process(*args)
    assert done.returncode == 1, done.stdout + done.stderr
    text = done.stdout + done.stderr
    assert "Traceback" not in text
    assert f"{file}:11:37: metadata.hub: workspace 'gone-hub' in resource group '{RG}'" in text
    assert azure.emulator.stats()["total"] == 0  # nothing called Azure


RULES = """---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {name: pypi, workspace: team-hub}
spec: {properties: {type: FQDN, destination: pypi.org}}
---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {name: data-factory, workspace: team-hub}
spec:
  properties:
    type: ServiceTag
    destination: {serviceTag: DataFactory, protocol: TCP, portRanges: "443", action: Allow}
---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {name: training-blob, workspace: team-hub}
spec:
  properties:
    type: PrivateEndpoint
    destination:
      serviceResourceId: {STORAGE}/trainingdata
      subresourceTarget: blob
""".replace("{STORAGE}", STORAGE_ACCOUNT.rsplit("/", 1)[0])


def _rules(azure: Azure) -> list[dict[str, object]]:
    with httpx.Client(base_url=azure.url, headers={"Authorization": "Bearer t"}) as client:
        answer = client.get(
            f"{WORKSPACES}/team-hub/outboundRules", params={"api-version": "2025-09-01"}
        )
    return sorted(answer.json()["value"], key=lambda rule: str(rule["name"]))


def test_a_hub_its_project_and_the_hubs_outbound_rules_apply_then_plan_clean_even_pruning(
    azure: Azure, tmp_path: Path
) -> None:
    """The whole of a team's isolated setup in one run: the hub with a rule of each type, its
    project and a connection. Azure adds its own Required rules to the hub; they are neither
    drift nor pruned, and the project (which inherits the hub's network) shows none of them."""
    file = _manifests(tmp_path)
    owned = MANIFESTS.replace("{hub}", "team-hub").replace(
        "  apiVersions:", "  owner: team-a\n  apiVersions:"
    )
    file.write_text(owned + RULES, encoding="utf-8")
    assert "Apply: 6 created" in _apply(azure, file)
    listed = _rules(azure)
    categories = {rule["properties"]["category"] for rule in listed}
    assert {"UserDefined", "Required"} <= categories  # Azure's own rules sit beside ours
    planned = azure.process(
        "plan", "--endpoint", azure.url, "--prune", "--detailed-exitcode", str(file)
    )
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "to delete" not in planned.stdout.splitlines()[0], planned.stdout
    assert _rules(azure) == listed


def test_replacing_a_hub_warns_of_the_project_that_names_it(azure: Azure, tmp_path: Path) -> None:
    """Replacing a hub deletes the one its project names (by id): the reviewer approving the
    replacement sees the project on the hub's change, as destroy says it."""
    file = _manifests(tmp_path)
    _apply(azure, file)
    file.write_text(
        file.read_text(encoding="utf-8").replace("kv-linked", "kv-other"), encoding="utf-8"
    )
    planned = azure.process("plan", "--endpoint", azure.url, "--format", "json", str(file))
    assert planned.returncode == 0, planned.stderr
    changes = {c["address"].rsplit("/", 1)[-1]: c for c in json.loads(planned.stdout)["changes"]}
    assert changes["team-hub"]["action"] == "replace-required"
    assert any("team-project" in w for w in changes["team-hub"]["warnings"]), changes["team-hub"]
