"""The emulator behaves as ARM does where a client can tell: specified case by case.

In-process (httpx transport), with an injected clock so provisioning delays and throttle
refills happen instantly.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, LroMode, transport
from tests.linked import KEY_VAULT, STORAGE_ACCOUNT, workspace_body

RG = "rg-1"
WS = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces"
)
V = {"api-version": "2024-04-01"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _setup(clock: Clock, **knobs: Any) -> tuple[Emulator, httpx.Client]:
    emulator = Emulator(
        knobs=Knobs(**knobs), clock=clock, resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    client = httpx.Client(
        transport=transport(emulator),
        base_url="http://emulator.local",
        headers={"Authorization": "Bearer t"},
    )
    return emulator, client


def _put_ws(client: httpx.Client, name: str, **body: Any) -> httpx.Response:
    return client.put(f"{WS}/{name}", params=V, json=workspace_body(**body))


def test_workspace_provisioning_goes_through_creating_to_succeeded(clock: Clock) -> None:
    _, client = _setup(clock, provisioning_seconds=30, lro_mode=LroMode.RESOURCE_STATE)
    created = _put_ws(client, "ws1")
    assert created.status_code == 200  # the definition has 200 and 202, never 201
    assert created.json()["properties"]["provisioningState"] == "Creating"
    clock.now += 29
    assert client.get(f"{WS}/ws1", params=V).json()["properties"]["provisioningState"] == "Creating"
    clock.now += 1
    assert (
        client.get(f"{WS}/ws1", params=V).json()["properties"]["provisioningState"] == "Succeeded"
    )
    updated = _put_ws(client, "WS1", tags={"a": "b"})
    assert updated.status_code == 200
    assert updated.json()["properties"]["provisioningState"] == "Updating"


def test_a_second_write_during_provisioning_is_a_conflict(clock: Clock) -> None:
    _, client = _setup(clock, provisioning_seconds=10)
    assert _put_ws(client, "ws1").status_code == 202
    conflict = _put_ws(client, "ws1")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "AnotherOperationInProgress"


def test_async_operation_reports_injected_failure_with_an_arm_error(clock: Clock) -> None:
    _, client = _setup(clock, provisioning_seconds=5, lro_failure_rate=1.0)
    started = _put_ws(client, "ws1")
    status_url = started.headers["Azure-AsyncOperation"]
    assert client.get(status_url).json()["status"] == "InProgress"
    clock.now += 5
    done = client.get(status_url).json()
    assert done["status"] == "Failed"
    assert done["error"]["code"] == "InternalServerError"
    assert client.get(f"{WS}/ws1", params=V).json()["properties"]["provisioningState"] == "Failed"


def test_server_fields_and_defaults_are_filled_and_read_only_input_ignored(clock: Clock) -> None:
    _, client = _setup(clock)
    _put_ws(
        client,
        "ws1",
        location="East US 2",
        properties={"workspaceId": "mine"},
        identity={"type": "SystemAssigned", "principalId": "forged"},
    )
    got = client.get(f"{WS}/ws1", params=V).json()
    props = got["properties"]
    assert got["location"] == "eastus2"
    assert (
        got["id"].endswith("/workspaces/ws1")
        and got["type"] == "Microsoft.MachineLearningServices/workspaces"
    )
    assert props["workspaceId"] != "mine"
    assert got["identity"]["principalId"] != "forged"
    assert props["hbiWorkspace"] is False and props["v1LegacyMode"] is False
    assert props["allowPublicAccessWhenBehindVnet"] is False
    assert {
        "tenantId",
        "mlFlowTrackingUri",
        "discoveryUrl",
        "notebookInfo",
        "privateLinkCount",
        "storageHnsEnabled",
    } <= set(props)
    assert {"createdAt", "lastModifiedBy"} <= set(got["systemData"])


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"location": "westus"}, "InvalidResourceLocation"),
        ({"properties": {"storageAccount": f"{STORAGE_ACCOUNT}2"}}, "BadRequest"),
        ({"properties": {"keyVault": f"{KEY_VAULT}2"}}, "BadRequest"),
    ],
)
def test_create_only_properties_cannot_change(
    clock: Clock, change: dict[str, Any], code: str
) -> None:
    _, client = _setup(clock)
    _put_ws(client, "ws1")
    # The same ids in another case are no change.
    body = workspace_body(properties={"storageAccount": STORAGE_ACCOUNT.upper()})
    for key, value in change.items():
        body[key] = {**body[key], **value} if isinstance(value, dict) else value
    refused = client.put(f"{WS}/ws1", params=V, json=body)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == code


def test_invalid_bodies_are_refused_with_the_json_path(clock: Clock) -> None:
    _, client = _setup(clock)
    bad = _put_ws(client, "ws1", properties={"hbiWorkspace": "yes"})
    assert bad.status_code == 400
    assert bad.json()["error"]["target"] == "properties.hbiWorkspace"


def test_credentials_are_write_only(clock: Clock) -> None:
    _, client = _setup(clock)
    _put_ws(client, "ws1")
    body = {
        "properties": {
            "authType": "ApiKey",
            "category": "AzureOpenAI",
            "target": "https://a",
            "credentials": {"key": "canary-1"},
        }
    }
    put = client.put(f"{WS}/ws1/connections/cx1", params=V, json=body)
    assert put.status_code == 200
    assert "canary-1" not in put.text
    assert "canary-1" not in client.get(f"{WS}/ws1/connections/cx1", params=V).text
    assert "canary-1" not in client.get(f"{WS}/ws1/connections", params=V).text
    secrets = client.post(f"{WS}/ws1/connections/cx1/listsecrets", params=V).json()
    assert secrets["properties"]["credentials"] == {"key": "canary-1"}


def test_listsecrets_can_be_forbidden(clock: Clock) -> None:
    _, client = _setup(clock, listsecrets_forbidden=True)
    _put_ws(client, "ws1")
    denied = client.post(f"{WS}/ws1/connections/cx1/listsecrets", params=V)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "AuthorizationFailed"


def test_lists_page_with_next_link_and_filter(clock: Clock) -> None:
    _, client = _setup(clock, page_size=2)
    _put_ws(client, "ws1")
    for i in range(5):
        category = "Git" if i % 2 else "PythonFeed"
        client.put(
            f"{WS}/ws1/connections/conn{i}",
            params=V,
            json={"properties": {"authType": "None", "category": category, "target": f"t{i}"}},
        )
    names: list[str] = []
    url: str | None = f"{WS}/ws1/connections?api-version=2024-04-01"
    pages = 0
    while url:
        page = client.get(url).json()
        names += [c["name"] for c in page["value"]]
        url = page.get("nextLink")
        pages += 1
    assert names == [f"conn{i}" for i in range(5)] and pages == 3
    git = client.get(f"{WS}/ws1/connections", params={**V, "category": "git"}).json()
    assert [c["name"] for c in git["value"]] == ["conn1", "conn3"]
    by_target = client.get(f"{WS}/ws1/connections", params={**V, "target": "T4"}).json()
    assert [c["name"] for c in by_target["value"]] == ["conn4"]


def test_names_are_case_insensitive_but_keep_their_casing(clock: Clock) -> None:
    _, client = _setup(clock)
    _put_ws(client, "MyWs")
    got = client.get(f"{WS.replace(RG, RG.upper())}/myws", params=V)
    assert got.status_code == 200 and got.json()["name"] == "MyWs"


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "code"),
    [
        ("GET", f"{WS}/ws1", {"Authorization": ""}, 401, "AuthenticationFailed"),
        ("GET", f"{WS}/missing", {}, 404, "ResourceNotFound"),
        ("GET", WS.replace(RG, "nope") + "/ws1", {}, 404, "ResourceGroupNotFound"),
        ("POST", f"{WS}/ws1", {}, 405, "MethodNotAllowed"),
        ("GET", f"{WS}/ws1/computes", {}, 404, "NoRegisteredProviderFound"),
    ],
)
def test_errors_have_arm_codes(
    clock: Clock, method: str, path: str, headers: dict[str, str], status: int, code: str
) -> None:
    _, client = _setup(clock)
    response = client.request(method, path, params=V, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_api_version_is_required(clock: Clock) -> None:
    _, client = _setup(clock)
    assert client.get(f"{WS}/ws1").json()["error"]["code"] == "MissingApiVersionParameter"


def test_reads_are_throttled_by_a_token_bucket_that_refills(clock: Clock) -> None:
    _, client = _setup(clock, throttle=True, throttle_scale=0.04)  # 10 reads, 1/s
    answers = [client.get(f"{WS}/ws1", params=V) for _ in range(10)]
    assert [a.status_code for a in answers] == [404] * 10
    remaining = [int(a.headers["x-ms-ratelimit-remaining-subscription-reads"]) for a in answers]
    assert remaining == list(range(9, -1, -1))
    throttled = client.get(f"{WS}/ws1", params=V)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1"
    assert "x-ms-ratelimit-remaining-subscription-reads" in throttled.headers
    clock.now += 1
    assert client.get(f"{WS}/ws1", params=V).status_code == 404


def test_faults_are_reproducible_from_the_seed(clock: Clock) -> None:
    def run() -> list[int]:
        _, client = _setup(clock, error_500_rate=0.3, error_503_rate=0.2, seed=7)
        return [client.get(f"{WS}/xyz", params=V).status_code for _ in range(30)]

    first = run()
    assert first == run()
    assert {500, 503, 404} <= set(first)


def test_dropped_connections_surface_as_transport_errors(clock: Clock) -> None:
    _, client = _setup(clock, drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"{WS}/ws1", params=V)


def test_out_of_band_edits_simulate_portal_drift(clock: Clock) -> None:
    _, client = _setup(clock)
    _put_ws(client, "ws1", properties={"description": "from git"})
    arm_id = client.get(f"{WS}/ws1", params=V).json()["id"]
    edited = client.patch(
        f"/_emulator/resources{arm_id}", json={"properties": {"description": "from the portal"}}
    )
    assert edited.status_code == 200
    got = client.get(f"{WS}/ws1", params=V).json()
    assert got["properties"]["description"] == "from the portal"
    stats = client.get("/_emulator/stats").json()
    assert stats["requests"]["PUT workspace.put"] == 1
    assert stats["puts"][arm_id.lower()] == 1


def test_notebook_token_and_its_errors(clock: Clock) -> None:
    emulator, client = _setup(clock)
    _put_ws(client, "ws1")
    token = client.post(f"{WS}/ws1/listNotebookAccessToken", params=V).json()
    assert {
        "accessToken",
        "refreshToken",
        "expiresIn",
        "hostName",
        "publicDns",
        "notebookResourceId",
        "scope",
        "tokenType",
    } <= set(token)
    arm_id = client.get(f"{WS}/ws1", params=V).json()["id"]
    emulator.edit(
        arm_id,
        {
            "properties": {
                "notebookInfo": {
                    "notebookPreparationError": {
                        "errorMessage": "quota exceeded",
                        "statusCode": 500,
                    }
                }
            }
        },
    )
    failed = client.post(f"{WS}/ws1/listNotebookAccessToken", params=V)
    assert failed.status_code == 409
    assert "quota exceeded" in failed.json()["error"]["message"]
    missing = client.post(f"{WS}/nope/listNotebookAccessToken", params=V)
    assert missing.json()["error"]["code"] == "ResourceNotFound"


def test_deleting_a_workspace_removes_its_connections(clock: Clock) -> None:
    _, client = _setup(clock)
    _put_ws(client, "ws1")
    client.put(f"{WS}/ws1/connections/cx1", params=V, json={"properties": {"authType": "None"}})
    assert client.delete(f"{WS}/ws1", params={**V, "forceToPurge": "true"}).status_code == 202
    _put_ws(client, "ws1")
    assert client.get(f"{WS}/ws1/connections", params=V).json()["value"] == []
