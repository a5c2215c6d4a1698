"""The body an update PUTs: live writable fields with the manifest over them, never a null,
an identity exactly as declared; and the updates refused because they would lose data."""

from __future__ import annotations

from typing import Any

from reconciler.apply.body import refusal, update_body
from reconciler.schemas import load_schema

WORKSPACE = load_schema("workspace.schema.json")
CONNECTION = load_schema("connection.schema.json")
RG = "/subscriptions/s/resourcegroups/rg/providers"
UAI = f"{RG}/microsoft.managedidentity/userassignedidentities/u"
LIVE: dict[str, Any] = {
    "id": f"{RG}/microsoft.machinelearningservices/workspaces/w",
    "name": "w",
    "location": "westeurope",
    "kind": "Default",
    "tags": {"CostCenter": "42"},
    "identity": {
        "type": "SystemAssigned, UserAssigned",
        "principalId": "p",
        "userAssignedIdentities": {UAI: {"principalId": "p2", "clientId": "c2"}},
    },
    "properties": {
        "friendlyName": "Old",
        "description": "",
        "containerRegistry": None,
        "encryption": None,
        "sharedPrivateLinkResources": None,
        "applicationInsights": "/subscriptions/s/insights/ai",
        "sdkTelemetryAppInsightsKey": "k",
        "enableDataIsolation": False,
        "provisioningState": "Succeeded",
    },
}


def _nulls(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_nulls(v) for v in value.values())
    if isinstance(value, list):
        return any(_nulls(v) for v in value)
    return False


def test_an_update_body_never_carries_a_null_and_keeps_live_writable_fields() -> None:
    declared = {"location": "westeurope", "properties": {"friendlyName": "New"}}
    body = update_body(declared, LIVE, WORKSPACE, strict=False)
    assert not _nulls(body)
    assert body["properties"]["friendlyName"] == "New"
    assert body["properties"]["applicationInsights"] == "/subscriptions/s/insights/ai"
    assert body["tags"] == {"CostCenter": "42"}
    assert "provisioningState" not in body["properties"]
    assert "sdkTelemetryAppInsightsKey" not in body["properties"]


def test_a_declared_identity_is_sent_whole_not_merged_with_live() -> None:
    declared = {"location": "westeurope", "identity": {"type": "SystemAssigned"}}
    body = update_body(declared, LIVE, WORKSPACE, strict=False)
    assert body["identity"] == {"type": "SystemAssigned"}


def test_nothing_is_refused_for_server_only_or_default_valued_unknown_fields() -> None:
    declared = {"location": "westeurope", "properties": {"friendlyName": "New"}}
    assert refusal(declared, LIVE, WORKSPACE, strict=False, api_version="2023-04-01") is None


def test_an_update_that_would_lose_a_newer_field_is_refused_unless_strict() -> None:
    managed = {"isolationMode": "AllowInternetOutbound"}
    live = {**LIVE, "kind": "Hub", "properties": {**LIVE["properties"], "managedNetwork": managed}}
    declared = {"location": "westeurope"}
    reason = refusal(declared, live, WORKSPACE, strict=False, api_version="2023-04-01")
    assert reason is not None
    assert reason.startswith("cannot be updated without losing properties.managedNetwork:")
    assert refusal(declared, live, WORKSPACE, strict=True, api_version="2023-04-01") is None


def test_a_workspace_kind_never_blocks_an_update_the_service_keeps_it() -> None:
    live = {**LIVE, "kind": "Hub"}
    declared = {"location": "westeurope"}
    assert refusal(declared, live, WORKSPACE, strict=False, api_version="2023-04-01") is None


def test_a_connection_update_without_credentials_is_refused_even_strict() -> None:
    declared = {"properties": {"category": "Git", "authType": "PAT", "target": "https://g"}}
    live = {"name": "c", "properties": dict(declared["properties"])}
    for strict in (False, True):
        reason = refusal(
            declared, live, CONNECTION, strict=strict, api_version="2024-04-01", connection="c"
        )
        assert reason is not None and "without wiping its stored credentials" in reason
    with_credentials = {"properties": {**declared["properties"], "credentials": {"pat": "x"}}}
    assert (
        refusal(
            with_credentials,
            live,
            CONNECTION,
            strict=False,
            api_version="2024-04-01",
            connection="c",
        )
        is None
    )
    no_auth = {"properties": {"category": "Git", "authType": "None", "target": "https://g"}}
    assert (
        refusal(no_auth, live, CONNECTION, strict=False, api_version="2024-04-01", connection="c")
        is None
    )


def test_a_strict_update_still_carries_what_another_kind_manages_there() -> None:
    """--strict sends only what is declared; a workspace's managed-network rules are
    OutboundRule resources (and Azure's own), so a strict update of the workspace carries them
    as they are rather than dropping them with the PUT."""
    from reconciler.kinds import WORKSPACE as KIND

    rules = {"pypi": {"type": "FQDN", "destination": "pypi.org", "category": "UserDefined"}}
    live = {
        **LIVE,
        "properties": {
            **LIVE["properties"],
            "managedNetwork": {
                "isolationMode": "AllowOnlyApprovedOutbound",
                "outboundRules": rules,
            },
        },
    }
    declared = {
        "location": "westeurope",
        "properties": {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}},
    }
    schema = KIND.at("2025-09-01").schema()
    body = update_body(declared, live, schema, strict=True, carried=KIND.managed_elsewhere)
    assert body["properties"]["managedNetwork"]["outboundRules"] == rules
    assert "applicationInsights" not in body["properties"]  # strict: nothing else carried
    assert declared["properties"]["managedNetwork"] == {
        "isolationMode": "AllowOnlyApprovedOutbound"
    }
