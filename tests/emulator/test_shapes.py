"""Answer shapes: clean by default; realistic (as recordings of Azure show) behind a knob."""

from __future__ import annotations

import httpx

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, transport
from tests.linked import STORAGE_ACCOUNT

RG = "Shape-RG"
SUB = f"/subscriptions/{DEFAULT_SUBSCRIPTION}"
WS = f"{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces"
V = {"api-version": "2023-04-01"}
KV = f"{SUB}/resourceGroups/{RG}/providers/Microsoft.KeyVault/vaults/kv1"


def _workspace(shape: str) -> tuple[httpx.Client, dict[str, object]]:
    emulator = Emulator(knobs=Knobs(shapes=shape), resource_groups=((DEFAULT_SUBSCRIPTION, RG),))
    client = httpx.Client(
        transport=transport(emulator),
        base_url="http://emulator.local",
        headers={"Authorization": "Bearer t"},
    )
    client.put(
        f"{WS}/ws1",
        params={"api-version": "2025-09-01"},
        json={
            "location": "eastus",
            "kind": "Hub",
            "identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {}},
            "properties": {"keyVault": KV, "storageAccount": STORAGE_ACCOUNT},
        },
    )
    return client, client.get(f"{WS}/ws1", params=V).json()


def test_the_clean_shape_is_what_was_written() -> None:
    _, got = _workspace("clean")
    props = got["properties"]  # type: ignore[index]
    assert "containerRegistry" not in props and props["keyVault"] == KV
    assert got["identity"]["type"] == "SystemAssigned, UserAssigned"  # type: ignore[index]
    assert "kind" not in got  # 2023-04-01 has no kind


def test_realistic_answers_carry_what_azure_sends() -> None:
    client, got = _workspace("realistic")
    props = got["properties"]  # type: ignore[index]
    assert props["containerRegistry"] is None and props["applicationInsights"] is None
    assert props["description"] == "" and props["imageBuildCompute"] == ""
    assert props["keyVault"] == KV.replace("resourceGroups", "resourcegroups").replace(
        "Microsoft.KeyVault", "microsoft.keyvault"
    )
    assert props["sdkTelemetryAppInsightsKey"] and props["serviceProvisionedResourceGroup"]
    assert got["identity"]["type"] == "SystemAssigned,UserAssigned"  # type: ignore[index]
    assert got["kind"] == "Hub"  # written with 2025-09-01, read with 2023-04-01
    client.put(
        f"{WS}/ws1/connections/conn1",
        params={"api-version": "2024-04-01"},
        json={"properties": {"authType": "None", "category": "Git", "target": "https://g"}},
    )
    conn = client.get(f"{WS}/ws1/connections/conn1", params={"api-version": "2024-04-01"})
    assert conn.json()["properties"]["expiryTime"] is None
    assert conn.json()["properties"]["valueFormat"] is None
