"""Every api-version Azure serves these operations at is accepted, and each request is checked
against its own version's definitions (or the newest older one ../shared/specs defines)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, transport
from reconciler.emulator.contract import spec_version
from tests.linked import workspace_body

RG = "rg-v"
WS = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces"
)
ACCEPTED = ["2023-04-01", "2024-04-01", "2024-10-01", "2025-06-01", "2025-09-01", "2025-12-01"]


def _client() -> httpx.Client:
    emulator = Emulator(knobs=Knobs(shapes="clean"), resource_groups=((DEFAULT_SUBSCRIPTION, RG),))
    return httpx.Client(
        transport=transport(emulator),
        base_url="http://emulator.local",
        headers={"Authorization": "Bearer t"},
    )


def _put(client: httpx.Client, version: str, **properties: Any) -> httpx.Response:
    return client.put(
        f"{WS}/ws1",
        params={"api-version": version},
        json=workspace_body(properties=properties),
    )


@pytest.mark.parametrize("version", ACCEPTED)
def test_every_current_api_version_is_served(version: str) -> None:
    client = _client()
    assert _put(client, version).status_code < 300
    got = client.get(f"{WS}/ws1", params={"api-version": version})
    assert got.status_code == 200
    assert got.json()["name"] == "ws1"


@pytest.mark.parametrize(
    ("version", "checked_against"),
    [
        ("2023-04-01", "2023-04-01"),
        ("2024-04-01", "2024-04-01"),
        ("2024-10-01", "2024-04-01"),
        ("2025-06-01", "2024-04-01"),
        ("2025-09-01", "2025-09-01"),
        ("2025-12-01", "2025-09-01"),
    ],
)
def test_a_version_without_definitions_is_checked_against_the_newest_older(
    version: str, checked_against: str
) -> None:
    assert spec_version(version) == checked_against


def test_an_unknown_api_version_is_refused() -> None:
    answer = _client().get(f"{WS}/ws1", params={"api-version": "2019-01-01"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "InvalidApiVersionParameter"


def test_a_field_the_version_does_not_define_is_ignored_not_refused() -> None:
    # provisionNetworkNow appears in 2025-09-01; older versions ignore it as ARM does.
    assert _put(_client(), "2023-04-01", provisionNetworkNow="yes").status_code == 202
    assert _put(_client(), "2024-04-01", someFutureField={"x": 1}).status_code == 202


@pytest.mark.parametrize("version", ["2025-09-01", "2025-12-01"])
def test_a_field_the_version_defines_is_checked_by_that_version(version: str) -> None:
    refused = _put(_client(), version, provisionNetworkNow="yes")
    assert refused.status_code == 400
    assert refused.json()["error"]["target"] == "properties.provisionNetworkNow"
    assert _put(_client(), version, provisionNetworkNow=True).status_code == 202


def test_read_only_fields_and_nulls_in_a_body_are_ignored() -> None:
    answer = _put(
        _client(),
        "2025-12-01",
        provisioningState=17,  # read-only: ignored whatever its type
        containerRegistry=None,  # null: absent
        friendlyName="x",
    )
    assert answer.status_code == 202


def test_enum_values_compare_case_insensitively() -> None:
    assert _put(_client(), "2024-04-01", publicNetworkAccess="disabled").status_code == 202
    refused = _put(_client(), "2024-04-01", publicNetworkAccess="Sometimes")
    assert refused.status_code == 400


def test_connections_choose_their_credentials_shape_by_auth_type() -> None:
    client = _client()
    _put(client, "2024-04-01")
    url = f"{WS}/ws1/connections/cx1"
    v = {"api-version": "2025-12-01"}
    body = {"properties": {"authType": "apikey", "category": "AzureOpenAI", "target": "https://a"}}
    ok = client.put(
        url,
        params=v,
        json={**body, "properties": {**body["properties"], "credentials": {"key": "k"}}},
    )
    assert ok.status_code == 200, ok.text
    bad = client.put(
        url,
        params=v,
        json={**body, "properties": {**body["properties"], "credentials": {"key": 5}}},
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["target"] == "properties.credentials.key"


def test_connections_are_answered_in_the_shape_of_the_requests_version() -> None:
    client = _client()  # clean shapes: what the version defines, nothing else
    _put(client, "2024-04-01")
    url = f"{WS}/ws1/connections/cx1"
    props = {"authType": "PAT", "category": "Git", "target": "https://g", "isSharedToAll": True}
    written = client.put(url, params={"api-version": "2024-04-01"}, json={"properties": props})
    assert written.json()["properties"]["isSharedToAll"] is True
    old = client.get(url, params={"api-version": "2023-04-01"}).json()["properties"]
    assert old == {"authType": "PAT", "category": "Git", "target": "https://g"}
    listed = client.get(f"{WS}/ws1/connections", params={"api-version": "2023-04-01"}).json()
    assert listed["value"][0]["properties"] == old
    new = client.get(url, params={"api-version": "2025-12-01"}).json()["properties"]
    assert new["isSharedToAll"] is True and new["group"] == "GenericProtocol"


def test_realistic_connections_keep_what_a_newer_version_wrote() -> None:
    emulator = Emulator(resource_groups=((DEFAULT_SUBSCRIPTION, RG),))
    client = httpx.Client(
        transport=transport(emulator),
        base_url="http://emulator.local",
        headers={"Authorization": "Bearer t"},
    )
    _put(client, "2024-04-01")
    url = f"{WS}/ws1/connections/cx1"
    props = {"authType": "None", "category": "Git", "target": "https://g", "isSharedToAll": True}
    client.put(url, params={"api-version": "2025-09-01"}, json={"properties": props})
    old = client.get(url, params={"api-version": "2023-04-01"}).json()["properties"]
    assert old["isSharedToAll"] is True and old["expiryTime"] is None


def test_an_operation_the_version_lacks_is_not_served() -> None:
    client = _client()
    _put(client, "2024-04-01")
    # listsecrets arrived after 2023-04-01
    old = client.post(f"{WS}/ws1/connections/cx1/listsecrets", params={"api-version": "2023-04-01"})
    assert old.status_code == 400
    assert old.json()["error"]["code"] == "NoRegisteredProviderFound"


@pytest.mark.parametrize("depth", [65, 10_000])
def test_deeply_nested_json_is_a_clear_400(depth: int) -> None:
    body = '{"location": "eastus", "tags": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    answer = _client().put(
        f"{WS}/ws1",
        params={"api-version": "2024-04-01"},
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "InvalidRequestContent"


def test_answers_have_the_shape_of_the_requests_version() -> None:
    client = _client()
    client.put(
        f"{WS}/ws1",
        params={"api-version": "2025-09-01"},
        json=workspace_body(kind="Hub", properties={"provisionNetworkNow": True}),
    )
    new = client.get(f"{WS}/ws1", params={"api-version": "2025-12-01"}).json()
    old = client.get(f"{WS}/ws1", params={"api-version": "2023-04-01"}).json()
    # provisionNetworkNow is the create's trigger, read back false (test_managed_network.py).
    assert new["kind"] == "Hub" and new["properties"]["provisionNetworkNow"] is False
    assert "kind" not in old and "provisionNetworkNow" not in old["properties"]
