"""A hub and its project round-trip through the default ``export``: their kind is fixed at
creation and api-version 2023-04-01 cannot express it, so export writes those two documents at
the api-version that can (``metadata.apiVersion: 2025-09-01``, with their kind and hub) and
every other document at its kind's default; a plan of the export against the same estate shows
no changes. An export pinned to an api-version that cannot express a hub or a project is
refused, naming them, rather than writing workspaces that would be re-created as Default ones.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from reconciler.emulator.state import State
from tests.e2e.conftest import Azure
from tests.linked import LINKED_YAML, workspace_body

RG = "workspace-1234"
WORKSPACES = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces"
)
ESTATE = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: eastus}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: team-hub, apiVersion: "2025-09-01"}}
spec:
  kind: Hub
  properties: {{{LINKED_YAML}, managedNetwork: {{isolationMode: AllowOnlyApprovedOutbound}}}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: team-project, hub: team-hub, apiVersion: "2025-09-01"}}
spec:
  kind: Project
  properties: {{friendlyName: Team project}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: team-git, workspace: team-hub}}
spec: {{properties: {{category: Git, authType: None, target: "https://git.example/team"}}}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: plain}}
spec: {{properties: {{{LINKED_YAML}, description: a plain workspace}}}}
"""


def _apply(azure: Azure, tmp_path: Path) -> None:
    file = tmp_path / "estate.yaml"
    file.write_text(ESTATE, encoding="utf-8")
    done = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert done.returncode == 0, done.stdout + done.stderr


def _export(azure: Azure, out: Path, *flags: str) -> tuple[int, str, str]:
    done = azure.process(
        "export", "--endpoint", azure.url, "--subscription", DEFAULT_SUBSCRIPTION,
        "--out", str(out), *flags,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def test_the_default_export_of_a_hub_and_its_project_plans_no_changes(
    azure: Azure, tmp_path: Path
) -> None:
    _apply(azure, tmp_path)
    out = tmp_path / "out"
    code, stdout, stderr = _export(azure, out)
    assert code == 0, stdout + stderr

    hub = (out / RG / "team-hub.yaml").read_text(encoding="utf-8")
    project = (out / RG / "team-project.yaml").read_text(encoding="utf-8")
    plain = (out / RG / "plain.yaml").read_text(encoding="utf-8")
    assert "kind: Hub" in hub and "isolationMode: AllowOnlyApprovedOutbound" in hub, hub
    assert hub.count("apiVersion: '2025-09-01'") == 1, hub  # the hub; its connection: default
    assert "category: Git" in hub
    assert "kind: Project" in project and "hubResourceId:" in project, project
    assert "apiVersion: '2025-09-01'" in project
    assert "apiVersion: '2025" not in plain and "kind: Default" not in plain, plain
    for text in (hub, project, plain):
        assert "Not exported" not in text, text

    validated = azure.process("validate", str(out))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    plan = azure.process("plan", "--endpoint", azure.url, "--detailed-exitcode", str(out))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes" in plan.stdout, plan.stdout


def test_an_export_pinned_to_a_version_without_kinds_refuses_hubs_and_projects(
    azure: Azure, tmp_path: Path
) -> None:
    _apply(azure, tmp_path)
    out = tmp_path / "out"
    code, stdout, stderr = _export(azure, out, "--api-version", "2023-04-01")
    assert code == 1, stdout + stderr
    (line,) = stderr.strip().splitlines()
    assert "team-hub (Hub)" in line and "team-project (Project)" in line, line
    assert "2023-04-01" in line and "2025-09-01" in line, line
    assert "Traceback" not in stderr and not out.exists()

    # Narrowed to the plain workspace, the pinned version writes it as before.
    pinned = ("--api-version", "2023-04-01", "--workspace", "plain")
    code, stdout, stderr = _export(azure, out, *pinned)
    assert code == 0, stdout + stderr
    assert [p.name for p in out.rglob("*.yaml")] == ["plain.yaml"]


def test_kinds_are_read_whatever_their_case_and_a_null_kind_is_a_default_workspace(
    azure: Azure, tmp_path: Path
) -> None:
    """ARM's answers vary in case and carry nulls: a ``hub`` is a Hub, written as the schema
    spells it, and a workspace whose kind is null is a Default one, written at the default."""
    with httpx.Client(base_url=azure.url, headers={"Authorization": "Bearer t"}) as client:
        for name, kind in (("lower-hub", "hub"), ("no-kind", None)):
            answer = client.put(
                f"{WORKSPACES}/{name}",
                params={"api-version": "2025-09-01"},
                json=workspace_body(kind=kind),
            )
            assert answer.status_code in (200, 201, 202), answer.text
    azure.emulator.state.workspaces[State.ws_key(DEFAULT_SUBSCRIPTION, RG, "no-kind")].body[
        "kind"
    ] = None
    out = tmp_path / "out"
    code, stdout, stderr = _export(azure, out)
    assert code == 0, stdout + stderr
    hub = (out / RG / "lower-hub.yaml").read_text(encoding="utf-8")
    assert "kind: Hub" in hub and "apiVersion: '2025-09-01'" in hub, hub
    plain = (out / RG / "no-kind.yaml").read_text(encoding="utf-8")
    assert "apiVersion: '2025" not in plain and "Not exported" not in plain, plain
    plan = azure.process("plan", "--endpoint", azure.url, "--detailed-exitcode", str(out))
    assert plan.returncode == 0, plan.stdout + plan.stderr
