"""Hubs and projects as Azure serves them: a project belongs to an existing hub, inherits its
key vault, storage, application insights, container registry, managed network and encryption
(its GET shows the hub's), and a project PUT that sends any of them, or names no hub, is
refused with the provider's 400."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, transport
from tests.linked import KEY_VAULT, STORAGE_ACCOUNT, workspace_body

RG = "hub-rg"
WS = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces"
)
V = {"api-version": "2025-09-01"}
INSIGHTS = KEY_VAULT.replace(
    "Microsoft.KeyVault/vaults/kv-linked", "microsoft.insights/components/ai"
)
NETWORK = {"isolationMode": "AllowOnlyApprovedOutbound"}


def _client(**knobs: Any) -> httpx.Client:
    emulator = Emulator(knobs=Knobs(**knobs), resource_groups=((DEFAULT_SUBSCRIPTION, RG),))
    return httpx.Client(
        transport=transport(emulator),
        base_url="http://emulator.local",
        headers={"Authorization": "Bearer t"},
    )


def _hub(client: httpx.Client, name: str = "hub1", kind: str = "Hub") -> None:
    properties = {"applicationInsights": INSIGHTS, "managedNetwork": NETWORK}
    body = workspace_body(kind=kind, properties=properties)
    assert client.put(f"{WS}/{name}", params=V, json=body).status_code < 300


def _project(client: httpx.Client, **properties: Any) -> httpx.Response:
    body = {
        "location": "eastus",
        "kind": "Project",
        "properties": {"hubResourceId": f"{WS}/hub1", "friendlyName": "P", **properties},
    }
    return client.put(f"{WS}/project1", params=V, json=body)


def test_a_project_needs_no_key_vault_or_storage_and_shows_its_hubs() -> None:
    client = _client()
    _hub(client)
    assert _project(client).status_code < 300
    shown = client.get(f"{WS}/project1", params=V).json()
    props = shown["properties"]
    assert shown["kind"] == "Project"
    assert props["keyVault"].lower() == KEY_VAULT.lower()
    assert props["storageAccount"].lower() == STORAGE_ACCOUNT.lower()
    assert props["applicationInsights"].lower() == INSIGHTS.lower()
    assert props["managedNetwork"]["isolationMode"] == NETWORK["isolationMode"]
    assert props["friendlyName"] == "P"
    # The list shows it as GET does.
    listed = client.get(WS, params=V).json()["value"]
    assert next(w for w in listed if w["name"] == "project1")["properties"] == props


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("keyVault", KEY_VAULT),
        ("storageAccount", STORAGE_ACCOUNT),
        ("applicationInsights", INSIGHTS),
        ("containerRegistry", KEY_VAULT.replace("KeyVault/vaults", "ContainerRegistry/registries")),
        ("managedNetwork", NETWORK),
        (
            "encryption",
            {
                "status": "Enabled",
                "keyVaultProperties": {
                    "keyVaultArmId": KEY_VAULT,
                    "keyIdentifier": "https://kv-linked.vault.azure.net/keys/k/0123",
                },
            },
        ),
    ],
)
def test_a_project_put_that_sends_what_it_inherits_is_refused(prop: str, value: Any) -> None:
    client = _client()
    _hub(client)
    refused = _project(client, **{prop: value})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "ValidationError"
    assert error["target"] == f"properties.{prop}"
    assert client.get(f"{WS}/project1", params=V).status_code == 404


def test_the_managed_network_refusal_is_in_azures_words() -> None:
    client = _client()
    _hub(client)
    message = _project(client, managedNetwork=NETWORK).json()["error"]["message"]
    assert message == "Project workspace shouldn't define it's own managed network properties."


@pytest.mark.parametrize("hub", ["missing", "default-ws", None])
def test_a_project_whose_hub_is_not_a_hub_is_refused(hub: str | None) -> None:
    client = _client()
    _hub(client, "default-ws", kind="Default")
    hub_id = f"{WS}/{hub}" if hub else None
    refused = _project(client, hubResourceId=hub_id)
    assert refused.status_code == 400
    assert refused.json()["error"]["target"] == "properties.hubResourceId"


def test_the_strict_dependencies_knob_off_accepts_a_project_without_a_hub() -> None:
    client = _client(strict_dependencies=False)
    assert _project(client).status_code < 300
    # Without a hub there is nothing to inherit.
    assert "keyVault" not in client.get(f"{WS}/project1", params=V).json()["properties"]


def test_an_update_of_a_project_keeps_its_hub_and_its_kind() -> None:
    client = _client()
    _hub(client)
    assert _project(client).status_code < 300
    update = {
        "location": "eastus",
        "properties": {"hubResourceId": f"{WS}/hub1", "description": "d"},
    }
    assert client.put(f"{WS}/project1", params=V, json=update).status_code < 300
    shown = client.get(f"{WS}/project1", params=V).json()
    assert shown["kind"] == "Project" and shown["properties"]["description"] == "d"
    assert shown["properties"]["keyVault"].lower() == KEY_VAULT.lower()
