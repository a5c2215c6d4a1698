"""What a Project inherits from its hub is the workspace kind's data (INHERITED_FROM_HUB, by the
value of the body's ``kind``): every loop that must leave it out asks the kind."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconciler.kinds import WORKSPACE
from reconciler.kinds.workspace import INHERITED_FROM_HUB

SUB = "00000000-1111-2222-3333-444444444444"
WS = f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.MachineLearningServices"
KV = f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv1"


def _body(kind: str) -> dict[str, Any]:
    return {
        "id": f"{WS}/workspaces/ws1",
        "name": "ws1",
        "kind": kind,
        "location": "eastus",
        "properties": {
            "friendlyName": "Team",
            "keyVault": KV,
            "storageAccount": KV.replace("KeyVault/vaults", "Storage/storageAccounts"),
            "managedNetwork": {"isolationMode": "AllowInternetOutbound"},
            "hubResourceId": f"{WS}/workspaces/hub1",
        },
    }


@pytest.mark.parametrize("kind", ["Project", "project", "PROJECT"])
def test_a_project_inherits_its_hubs_dependencies_network_and_encryption(kind: str) -> None:
    assert WORKSPACE.inherited_paths(_body(kind)) == INHERITED_FROM_HUB
    assert {
        "properties.keyVault",
        "properties.storageAccount",
        "properties.applicationInsights",
        "properties.containerRegistry",
        "properties.managedNetwork",
        "properties.encryption",
    } == INHERITED_FROM_HUB


@pytest.mark.parametrize("kind", ["Hub", "Default", "FeatureStore"])
def test_other_kinds_inherit_nothing(kind: str) -> None:
    assert WORKSPACE.inherited_paths(_body(kind)) == frozenset()
    assert WORKSPACE.without_inherited(_body(kind)) == _body(kind)


def test_leaving_out_what_a_project_inherits_keeps_the_rest_and_copies() -> None:
    body = _body("Project")
    before = copy.deepcopy(body)
    sent = WORKSPACE.without_inherited(body)
    assert body == before  # the manifest's spec and the plan's live body are never changed
    assert sent["properties"] == {"friendlyName": "Team", "hubResourceId": f"{WS}/workspaces/hub1"}
    # A declared body without kind is a project's when its live body says so.
    declared = {"properties": {"keyVault": KV, "description": "d"}}
    assert WORKSPACE.without_inherited(declared, body) == {"properties": {"description": "d"}}


def test_an_exported_project_declares_nothing_it_inherits() -> None:
    export = WORKSPACE.export
    assert export is not None
    document, _ = export(WORKSPACE, _body("Project"), None, None)
    properties = document["spec"]["properties"]
    assert "keyVault" not in properties and "storageAccount" not in properties
    assert properties["friendlyName"] == "Team"
    hub, _ = export(WORKSPACE, _body("Hub"), None, None)
    assert hub["spec"]["properties"]["keyVault"] == KV
