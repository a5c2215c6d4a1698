"""The data the planner relies on is recorded in the generated schemas, not in code."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.schemas import load_schema

# Each api-version's schema carries the same annotations (reconciler.schemas.versions).
WORKSPACES = ["workspace.schema.json", "workspace.2025-09-01.schema.json"]
CONNECTIONS = ["connection.schema.json", "connection.2025-09-01.schema.json"]


def _props(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return schema["$defs"][name]["properties"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("file", WORKSPACES)
def test_create_only_workspace_properties_come_from_the_documented_text(file: str) -> None:
    ws = load_schema(file)
    props = _props(ws, "WorkspaceProperties")
    create_only = sorted(k for k, v in props.items() if v.get("x-reconciler-create-only"))
    # A project's hub (2025-09-01) is fixed at creation by the public record, not the text:
    # azurerm's azurerm_ai_foundry_project makes it ForceNew.
    hub = ["hubResourceId"] if "hubResourceId" in props else []
    assert create_only == [*hub, "keyVault", "storageAccount"]
    assert ws["properties"]["location"]["x-reconciler-create-only"] is True


@pytest.mark.parametrize("file", WORKSPACES)
def test_server_set_workspace_properties_are_read_only(file: str) -> None:
    ws = load_schema(file)
    props = _props(ws, "WorkspaceProperties")
    read_only = {k for k, v in props.items() if v.get("readOnly")}
    assert read_only >= {
        "provisioningState",
        "workspaceId",
        "tenantId",
        "mlFlowTrackingUri",
        "notebookInfo",
        "privateEndpointConnections",
        "privateLinkCount",
        "serviceProvisionedResourceGroup",
        "storageHnsEnabled",
    }
    assert {"id", "name", "type", "systemData"} <= {
        k for k, v in ws["properties"].items() if v.get("readOnly")
    }
    identity = ws["$defs"]["ManagedServiceIdentity"]["properties"]
    assert identity["principalId"]["readOnly"] and identity["tenantId"]["readOnly"]


@pytest.mark.parametrize("file", CONNECTIONS)
def test_every_credentials_field_of_every_auth_type_is_a_secret(file: str) -> None:
    conn = load_schema(file)
    base = conn["$defs"]["WorkspaceConnectionPropertiesV2"]
    branches = [b["then"]["$ref"].split("/")[-1] for b in base["allOf"]]
    assert len(branches) == 12
    checked = 0
    for branch in branches:
        creds = conn["$defs"][branch]["properties"].get("credentials")
        if creds is None:
            continue
        target = conn["$defs"][creds["$ref"].split("/")[-1]]
        fields = dict(target.get("properties", {}))
        if isinstance(target.get("additionalProperties"), dict):
            fields["*"] = target["additionalProperties"]
        for name, field in fields.items():
            if field.get("type") == "object":  # CustomKeys.keys: a map of secrets
                field = field["additionalProperties"]
            assert field.get("x-reconciler-secret") is True, f"{branch}.credentials.{name}"
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize("file", WORKSPACES)
def test_shared_private_link_resources_are_keyed_by_name(file: str) -> None:
    props = _props(load_schema(file), "WorkspaceProperties")
    assert props["sharedPrivateLinkResources"]["x-reconciler-list-keys"] == ["name"]


def test_name_patterns_come_from_the_path_parameters() -> None:
    manifest = load_schema("manifest.schema.json")
    for doc in (
        "WorkspaceDocument",
        "ConnectionDocument",
        "WorkspaceDocument@2025-09-01",
        "ConnectionDocument@2025-09-01",
    ):
        name = manifest["$defs"][doc]["properties"]["metadata"]["properties"]["name"]
        # Names go into URLs: the documented pattern only, never widened for ${VAR}.
        assert name["pattern"] == "^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$"
        assert name["x-reconciler-name"] is True and "x-reconciler-pattern" not in name
    account = load_schema("playwright-access-tokens.schema.json")["properties"]["accountId"]
    assert account["pattern"].startswith("^(?:") and account["pattern"].endswith(")$")
    assert account["maxLength"] == 64
