"""The operations as real Azure answers them (recordings and the 2025-09-01 definitions):
workspace PUT/PATCH/DELETE long-running, connections synchronous, resource groups through
Microsoft.Resources, outbound rules as child resources, and workspace kinds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, LroMode, transport
from tests.linked import KEY_VAULT, STORAGE_ACCOUNT, workspace_body

RG = "ops-rg"
SUB = f"/subscriptions/{DEFAULT_SUBSCRIPTION}"
WS = f"{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces"
V = {"api-version": "2025-09-01"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _client(clock: Clock | None = None, **knobs: Any) -> httpx.Client:
    emulator = Emulator(
        knobs=Knobs(**knobs),
        clock=clock or Clock(),
        resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
    )
    return httpx.Client(
        transport=transport(emulator),
        base_url="http://emulator.local",
        headers={"Authorization": "Bearer t"},
    )


def _put(client: httpx.Client, name: str = "ws1", **body: Any) -> httpx.Response:
    return client.put(f"{WS}/{name}", params=V, json=workspace_body(**body))


@pytest.mark.parametrize("mode", [m.value for m in LroMode])
def test_workspace_put_answers_200_or_202_never_201(mode: str) -> None:
    client = _client(lro_mode=LroMode(mode))
    created, updated = _put(client), _put(client, tags={"a": "b"})
    assert created.status_code in (200, 202) and updated.status_code in (200, 202)


def test_put_patch_and_delete_answer_202_empty_with_both_headers_at_one_operation() -> None:
    clock = Clock()
    client = _client(clock, provisioning_seconds=10)
    answers = [_put(client)]
    clock.now += 10
    answers.append(client.patch(f"{WS}/ws1", params=V, json={"tags": {"x": "y"}}))
    clock.now += 10
    answers.append(client.delete(f"{WS}/ws1", params=V))
    for answer in answers:
        assert answer.status_code == 202 and answer.content == b""
        async_op = answer.headers["Azure-AsyncOperation"].split("?")[0].rsplit("/", 1)[1]
        location = answer.headers["Location"].split("?")[0].rsplit("/", 1)[1]
        assert async_op == location


def test_operation_status_bodies_are_status_and_percent_complete() -> None:
    clock = Clock()
    client = _client(clock, provisioning_seconds=10)
    status_url = _put(client).headers["Azure-AsyncOperation"]
    clock.now += 5
    running = client.get(status_url).json()
    assert running == {"status": "InProgress", "percentComplete": 50.0}
    clock.now += 5
    assert client.get(status_url).json() == {"status": "Succeeded", "percentComplete": 100.0}


def test_patch_replaces_given_fields_and_merges_properties() -> None:
    client = _client()
    _put(client, tags={"old": "1"}, properties={"description": "d", "friendlyName": "F"})
    answer = client.patch(
        f"{WS}/ws1",
        params=V,
        json={"tags": {"new": "2"}, "properties": {"description": "changed"}},
    )
    assert answer.status_code == 202
    got = client.get(f"{WS}/ws1", params=V).json()
    assert got["tags"] == {"new": "2"}
    assert got["properties"]["description"] == "changed"
    assert got["properties"]["friendlyName"] == "F"
    invalid = client.patch(f"{WS}/ws1", params=V, json={"properties": {"v1LegacyMode": "x"}})
    assert invalid.status_code == 400
    missing = client.patch(f"{WS}/nope", params=V, json={"tags": {}})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ResourceNotFound"


def test_connection_put_is_synchronous_and_delete_is_200() -> None:
    client = _client()
    _put(client)
    url = f"{WS}/ws1/connections/conn1"
    body = {"properties": {"authType": "None", "category": "Git", "target": "https://g"}}
    put = client.put(url, params=V, json=body)
    assert put.status_code == 200 and put.json()["name"] == "conn1"
    assert "Azure-AsyncOperation" not in put.headers
    assert client.delete(url, params=V).status_code == 200


def test_resource_groups_as_microsoft_resources_serves_them() -> None:
    client = _client()
    url = f"{SUB}/resourcegroups/new-rg"
    rv = {"api-version": "2021-04-01"}
    assert client.get(url, params=rv).json()["error"]["code"] == "ResourceGroupNotFound"
    created = client.put(url, params=rv, json={"location": "West Europe", "tags": {"a": "b"}})
    assert created.status_code == 201
    assert created.json()["location"] == "westeurope"
    assert created.json()["type"] == "Microsoft.Resources/resourceGroups"
    assert client.put(url, params=rv, json={"location": "westeurope"}).status_code == 200
    assert client.head(url, params=rv).status_code == 204
    ws = f"{SUB}/resourceGroups/NEW-RG/providers/Microsoft.MachineLearningServices/workspaces/ws1"
    assert client.put(ws, params=V, json=workspace_body("westeurope")).status_code == 202
    assert client.put(url, params=rv, json={}).status_code == 400
    assert client.delete(url, params=rv).status_code == 200
    assert client.head(url, params=rv).status_code == 404
    gone = client.get(ws, params=V)
    assert gone.json()["error"]["code"] == "ResourceGroupNotFound"


def test_outbound_rules_are_child_resources_of_2024_04_01_and_later() -> None:
    client = _client()
    _put(client)
    url = f"{WS}/ws1/outboundRules/rule1"
    rule = {"properties": {"type": "FQDN", "category": "UserDefined", "destination": "a.b.com"}}
    put = client.put(url, params=V, json=rule)
    assert put.status_code == 202, put.text
    got = client.get(f"{WS}/ws1/outboundRules/RULE1", params=V).json()
    assert got["name"] == "rule1"
    assert got["type"] == "Microsoft.MachineLearningServices/workspaces/outboundRules"
    listed = client.get(f"{WS}/ws1/outboundRules", params=V).json()["value"]
    assert [r["name"] for r in listed] == ["rule1"]
    workspace = client.get(f"{WS}/ws1", params=V).json()
    assert workspace["properties"]["managedNetwork"]["outboundRules"]["rule1"]["type"] == "FQDN"
    bad = client.put(url, params=V, json={"properties": {"type": "FQDN", "destination": 5}})
    assert bad.status_code == 400
    old = client.get(url, params={"api-version": "2023-04-01"})
    assert old.json()["error"]["code"] == "NoRegisteredProviderFound"
    assert client.delete(url, params=V).status_code == 202
    assert client.get(url, params=V).status_code == 404
    assert client.delete(url, params=V).status_code == 204


def test_an_outbound_rule_put_is_a_long_running_operation_polled_at_its_location() -> None:
    """2025-09-01: 202 with Location (final-state-via: location) and Retry-After; the last
    poll answers the rule, a DELETE's answers 204."""
    clock = Clock()
    client = _client(clock, provisioning_seconds=30)
    _put(client)
    clock.now += 30
    url = f"{WS}/ws1/outboundRules/pypi"
    rule = {"properties": {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org"}}
    put = client.put(url, params=V, json=rule)
    assert put.status_code == 202 and put.content == b""
    assert put.headers["Retry-After"] and "Azure-AsyncOperation" not in put.headers
    assert client.get(put.headers["Location"]).status_code == 202
    clock.now += 30
    done = client.get(put.headers["Location"])
    assert done.status_code == 200
    assert done.json()["name"] == "pypi" and done.json()["properties"]["destination"] == "pypi.org"
    deleted = client.delete(url, params=V)
    assert deleted.status_code == 202
    clock.now += 30
    assert client.get(deleted.headers["Location"]).status_code == 204


def test_approved_outbound_only_gets_the_rules_azure_requires() -> None:
    client = _client()
    network = {"isolationMode": "AllowOnlyApprovedOutbound"}
    _put(client, properties={"managedNetwork": network})
    rules = client.get(f"{WS}/ws1/outboundRules", params=V).json()["value"]
    required = {r["name"]: r["properties"] for r in rules}
    assert {p["category"] for p in required.values()} == {"Required"}
    assert required["__SYS_ST_AzureMachineLearning_TCP"]["destination"]["portRanges"] == "443"
    assert "__SYS_ST_MicrosoftContainerRegistry.eastus_TCP" in required
    endpoints = {
        (p["destination"]["serviceResourceId"], p["destination"]["subresourceTarget"])
        for p in required.values()
        if p["type"] == "PrivateEndpoint"
    }
    assert endpoints == {
        (f"{WS}/ws1", "amlworkspace"),
        (KEY_VAULT, "vault"),
        (STORAGE_ACCOUNT, "blob"),
        (STORAGE_ACCOUNT, "file"),
    }
    assert {p["status"] for p in required.values()} == {"Inactive"}
    provision = f"{WS}/ws1/provisionManagedNetwork"
    assert client.post(provision, params=V, json={}).status_code == 200
    shown = client.get(f"{WS}/ws1", params=V).json()["properties"]["managedNetwork"]
    assert set(shown["outboundRules"]) == set(required)
    assert {r["status"] for r in shown["outboundRules"].values()} == {"Active"}


def test_internet_outbound_gets_no_rules_of_azures_own() -> None:
    client = _client()
    _put(client, properties={"managedNetwork": {"isolationMode": "AllowInternetOutbound"}})
    assert client.get(f"{WS}/ws1/outboundRules", params=V).json()["value"] == []


# A Project's kind is kept too: tests/emulator/test_hubs.py (it needs a hub, not these).
@pytest.mark.parametrize("kind", ["Default", "Hub", "FeatureStore"])
def test_workspace_kind_is_kept(kind: str) -> None:
    client = _client()
    _put(client, kind=kind)
    assert client.get(f"{WS}/ws1", params=V).json()["kind"] == kind


def test_a_workspace_without_kind_is_default() -> None:
    client = _client()
    _put(client)
    assert client.get(f"{WS}/ws1", params=V).json()["kind"] == "Default"


def test_connection_patch_of_2025_09_01_merges_properties_and_credentials() -> None:
    client = _client()
    _put(client)
    url = f"{WS}/ws1/connections/conn1"
    body = {
        "properties": {
            "authType": "PAT",
            "category": "Git",
            "target": "https://g",
            "credentials": {"pat": "old"},
        }
    }
    client.put(url, params=V, json=body)
    patched = client.patch(
        url, params=V, json={"properties": {"authType": "PAT", "credentials": {"pat": "new"}}}
    )
    assert patched.status_code == 200 and patched.json()["properties"]["target"] == "https://g"
    secrets = client.post(f"{url}/listsecrets", params=V).json()
    assert secrets["properties"]["credentials"] == {"pat": "new"}
    older = client.patch(url, params={"api-version": "2024-04-01"}, json={"properties": {}})
    assert older.json()["error"]["code"] == "NoRegisteredProviderFound"
