"""A Project workspace names its hub: ``metadata.hub`` (a workspace of kind Hub declared in the
same manifests, subscription and resource group) or an existing hub's ARM id in
``spec.properties.hubResourceId``. Whatever cannot be right is a validate problem naming the
file, the line and the field, before anything calls Azure."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import kinds
from reconciler.manifest.load import LoadOptions, load
from reconciler.manifest.model import Address, Kind, ResourceManifest

SUB = "00000000-1111-2222-3333-444444444444"
# The kinds' rules across documents, as the commands load manifests (reconciler.inputs).
KINDS_RULES = LoadOptions(cross_check=kinds.cross_check)
DEFAULTS = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {SUB}, resourceGroup: rg1, location: westeurope,
        apiVersions: {{Workspace: "2025-09-01"}}}}
"""
HUB_ID = (
    f"/subscriptions/{SUB}/resourceGroups/other-rg/providers/"
    "Microsoft.MachineLearningServices/workspaces/shared-hub"
)


def _workspace(name: str, kind: str = "", metadata: str = "", properties: str = "") -> str:
    spec = f"kind: {kind}, " if kind else ""
    return (
        f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: {name}{metadata}}}\n"
        f"spec: {{{spec}properties: {{friendlyName: {name}{properties}}}}}\n"
    )


def _load(tmp_path: Path, *documents: str) -> tuple[list[str], list[ResourceManifest]]:
    file = tmp_path / "m.yaml"
    file.write_text("---\n".join([DEFAULTS, *documents]), encoding="utf-8")
    result = load([file], KINDS_RULES)
    return [p.render().replace(str(tmp_path) + "/", "") for p in result.problems], list(
        result.manifests.resources
    )


def test_a_reference_to_a_declared_hub_is_recorded(tmp_path: Path) -> None:
    problems, resources = _load(
        tmp_path,
        _workspace("team-hub", "Hub"),
        _workspace("team-project", "Project", ", hub: TEAM-HUB"),
    )
    assert problems == []
    project = next(r for r in resources if r.address.name == "team-project")
    hub = Address(Kind("Workspace"), SUB, "rg1", "team-hub")
    assert [(path, a.key) for path, a in project.refs] == [("properties.hubResourceId", hub.key)]


def test_an_existing_hub_may_be_named_by_its_arm_id(tmp_path: Path) -> None:
    problems, resources = _load(
        tmp_path, _workspace("team-project", "Project", properties=f", hubResourceId: {HUB_ID}")
    )
    assert problems == []
    assert resources[0].refs == ()


@pytest.mark.parametrize(
    ("documents", "expected"),
    [
        (
            [_workspace("team-project", "Project", ", hub: nohub")],
            "m.yaml:8:37: metadata.hub: workspace 'nohub' in resource group 'rg1' "
            f"(subscription {SUB}) is not declared in these manifests: declare it with kind "
            "Hub, or give an existing hub's ARM id in spec.properties.hubResourceId",
        ),
        (
            [
                _workspace("plain-ws", "Default"),
                _workspace("team-project", "Project", ", hub: plain-ws"),
            ],
            "m.yaml:13:37: metadata.hub: workspace 'plain-ws' (declared at m.yaml:6) is of "
            "kind Default, not Hub",
        ),
        (
            [_workspace("team-project", "Project")],
            "m.yaml:9:14: spec.kind: a Project needs its hub: set metadata.hub to a workspace "
            "of kind Hub declared in these manifests, or spec.properties.hubResourceId to an "
            "existing hub's ARM id",
        ),
        (
            [
                _workspace("team-hub", "Hub"),
                _workspace(
                    "team-project", "Project", ", hub: team-hub", f", hubResourceId: {HUB_ID}"
                ),
            ],
            "m.yaml:13:37: metadata.hub: names the hub twice: give metadata.hub or "
            "spec.properties.hubResourceId, not both",
        ),
        (
            [_workspace("team-hub", "Hub"), _workspace("other-hub", "Hub", ", hub: team-hub")],
            "m.yaml:13:34: metadata.hub: only a workspace of kind Project names a hub (this "
            "one is Hub)",
        ),
    ],
    ids=["not-declared", "not-a-hub", "no-hub", "both", "not-a-project"],
)
def test_a_project_whose_hub_cannot_be_right_is_a_problem_at_its_line(
    tmp_path: Path, documents: list[str], expected: str
) -> None:
    problems, _ = _load(tmp_path, *documents)
    assert problems == [expected]


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example.com/subscriptions/x",
        f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/"
        "workspaces/team-hub/../../../../otherRg/providers/Microsoft.Storage/storageAccounts/sa",
        f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Storage/storageAccounts/sa",
        f"/subscriptions/{SUB}/resourceGroups/../providers/Microsoft.MachineLearningServices/"
        "workspaces/team-hub",
        "team-hub",
    ],
    ids=["url", "traversal", "other-type", "dot-dot-group", "bare-name"],
)
def test_a_hub_id_that_is_not_a_workspaces_arm_id_is_a_problem_at_its_line(
    tmp_path: Path, value: str
) -> None:
    """Azure would answer such a project's PUT with a 400 after the plan was approved; the
    manifest is wrong, so validate says so with the file, line and field, and nothing is sent."""
    problems, _ = _load(
        tmp_path, _workspace("team-project", "Project", properties=f", hubResourceId: '{value}'")
    )
    assert len(problems) == 1, problems
    assert problems[0].startswith("m.yaml:9:") and (
        "spec.properties.hubResourceId: " in problems[0]
    ), problems[0]
    assert "not the ARM id of a workspace" in problems[0]


def test_a_hub_id_of_any_case_and_subscription_is_taken(tmp_path: Path) -> None:
    """ARM ids compare case-insensitively; a hub may live in another subscription."""
    other = HUB_ID.replace(SUB, "99999999-1111-2222-3333-444444444444").upper()
    problems, _ = _load(
        tmp_path, _workspace("team-project", "Project", properties=f", hubResourceId: '{other}'")
    )
    assert problems == []


def test_a_hub_in_another_resource_group_is_not_the_one_named(tmp_path: Path) -> None:
    """metadata.hub names a workspace of the project's own resource group (and subscription)."""
    hub = _workspace("team-hub", "Hub").replace(
        "{name: team-hub}", "{name: team-hub, resourceGroup: rg2}"
    )
    problems, _ = _load(tmp_path, hub, _workspace("team-project", "Project", ", hub: team-hub"))
    assert (
        len(problems) == 1
        and "metadata.hub: workspace 'team-hub' in resource group 'rg1'" in problems[0]
    )


def test_metadata_hub_is_unknown_at_the_default_api_version(tmp_path: Path) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(
        DEFAULTS.replace(', apiVersions: {Workspace: "2025-09-01"}', "")
        + "---\n"
        + _workspace("old-ws", metadata=", hub: team-hub"),
        encoding="utf-8",
    )
    problems = [p.render() for p in load([file], KINDS_RULES).problems]
    assert len(problems) == 1 and "metadata.hub" in problems[0]
