"""`destroy` of a hub warns of the projects that name it and stay in Azure: in Azure a hub's
projects depend on it, so deleting it leaves them broken (or the delete is refused). A project
no manifest here declares is read from the resource group's one list of workspaces, its
``hubResourceId`` compared with the hub's id ignoring case, and named in the hub's change in
every plan format; a project destroyed in the same run is no warning. The real CLI over
loopback against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from tests.e2e.conftest import Azure
from tests.linked import LINKED_YAML

RG = "workspace-1234"
DEFAULTS = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: eastus}}
"""
HUB = f"""{DEFAULTS}---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: hub-h, apiVersion: "2025-09-01"}}
spec:
  kind: Hub
  properties: {{{LINKED_YAML}}}
"""
HUB_ID = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourcegroups/{RG}/providers/"
    "microsoft.machinelearningservices/workspaces/HUB-H"
)  # as another tool may have written it: lower-cased segments, the name upper-cased


def _project(name: str) -> str:
    return f"""---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: {name}, apiVersion: "2025-09-01"}}
spec:
  kind: Project
  properties: {{hubResourceId: {HUB_ID}}}
"""


def _applied(azure: Azure, tmp_path: Path) -> Path:
    """The hub and two projects, applied from one set; the file declaring the hub only."""
    everything = tmp_path / "all.yaml"
    everything.write_text(HUB + _project("proj-a") + _project("proj-b"), encoding="utf-8")
    done = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(everything))
    assert done.returncode == 0, done.stdout + done.stderr
    hub = tmp_path / "hub" / "hub.yaml"
    hub.parent.mkdir()
    hub.write_text(HUB, encoding="utf-8")
    return hub


def _destroy(azure: Azure, file: Path, *flags: str) -> str:
    done = azure.process(
        "destroy", "--endpoint", azure.url, "--include-workspaces", "--plan-only", *flags, str(file)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_destroying_a_hub_names_its_undeclared_projects(
    azure: Azure, tmp_path: Path, fmt: str
) -> None:
    out = _destroy(azure, _applied(azure, tmp_path), "--format", fmt)
    assert "proj-a, proj-b name(s) it by id and stay(s) in Azure" in out, out


def test_the_json_plan_warns_on_the_hub_change_and_a_project_destroyed_along_is_not_named(
    azure: Azure, tmp_path: Path
) -> None:
    hub = _applied(azure, tmp_path)
    document = json.loads(_destroy(azure, hub, "--format", "json"))
    # The hub by GET, then one list of its group, whatever the number of workspaces there.
    assert document["calls"]["by_kind"]["workspace.list"] == 1, document["calls"]
    changes = document["changes"]
    (warning,) = [
        w for c in changes if c["address"].endswith("/hub-h") for w in c["warnings"] if "proj" in w
    ]
    assert warning.startswith("proj-a, proj-b name(s) it by id"), warning

    with_a = tmp_path / "with-a.yaml"
    with_a.write_text(HUB + _project("proj-a"), encoding="utf-8")
    out = _destroy(azure, with_a)
    assert "proj-b name(s) it by id" in out and "proj-a, proj-b" not in out, out


def test_destroying_no_hub_lists_no_group(azure: Azure, tmp_path: Path) -> None:
    """A workspace no project can name (not a hub) costs no list: the plan reads as before."""
    file = tmp_path / "plain.yaml"
    file.write_text(
        f"""{DEFAULTS}---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: plain-w}}
spec: {{properties: {{{LINKED_YAML}}}}}
""",
        encoding="utf-8",
    )
    _applied(azure, tmp_path)
    done = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads(_destroy(azure, file, "--format", "json"))
    assert "workspace.list" not in document["calls"]["by_kind"], document["calls"]
    assert not [w for c in document["changes"] for w in c["warnings"] if "by id" in w]
