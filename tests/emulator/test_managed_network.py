"""A workspace's managed network as Azure enforces it: the isolation mode only tightens
(Disabled < AllowInternetOutbound < AllowOnlyApprovedOutbound), by PUT and by PATCH alike, and
``provisionNetworkNow`` is a trigger of the create that GET answers as ``false`` afterwards."""

from __future__ import annotations

import httpx
import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, transport
from tests.linked import workspace_body

RG = "net-rg"
WS = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces/ws1"
)
V = {"api-version": "2025-09-01"}


def _client() -> httpx.Client:
    emulator = Emulator(resource_groups=((DEFAULT_SUBSCRIPTION, RG),))
    return httpx.Client(
        transport=transport(emulator),
        base_url="http://emulator.local",
        headers={"Authorization": "Bearer t"},
    )


def _network(mode: str, **more: object) -> dict[str, object]:
    return {"managedNetwork": {"isolationMode": mode}, **more}


def _put(client: httpx.Client, mode: str, **more: object) -> httpx.Response:
    return client.put(WS, params=V, json=workspace_body(properties=_network(mode, **more)))


def _mode(client: httpx.Client) -> str:
    return str(client.get(WS, params=V).json()["properties"]["managedNetwork"]["isolationMode"])


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("AllowOnlyApprovedOutbound", "AllowInternetOutbound"),
        ("AllowOnlyApprovedOutbound", "Disabled"),
        ("AllowInternetOutbound", "Disabled"),
    ],
)
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_loosening_the_isolation_mode_is_refused_like_azure(
    first: str, then: str, method: str
) -> None:
    client = _client()
    assert _put(client, first).status_code in (200, 202)
    if method == "PUT":
        refused = _put(client, then)
    else:
        refused = client.patch(WS, params=V, json={"properties": _network(then)})
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["target"] == "properties.managedNetwork.isolationMode"
    assert f"from '{first}' to '{then}'" in error["message"]
    assert _mode(client) == first


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("Disabled", "AllowInternetOutbound"),
        ("AllowInternetOutbound", "AllowOnlyApprovedOutbound"),
        ("AllowOnlyApprovedOutbound", "allowonlyapprovedoutbound"),
    ],
)
def test_tightening_or_keeping_the_isolation_mode_is_an_update(first: str, then: str) -> None:
    client = _client()
    assert _put(client, first).status_code in (200, 202)
    assert _put(client, then).status_code in (200, 202)
    assert _mode(client).lower() == then.lower()


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_managed_network_kind_back_from_v2_to_v1_is_refused_like_azure(method: str) -> None:
    """2025-09-01 workspaceRP.json: "Users can switch from V1 to V2 ... but cannot switch back
    to V1 once V2 is enabled"; V1 to V2 is an update."""
    client = _client()
    mode = "AllowOnlyApprovedOutbound"
    assert _put(client, mode).status_code in (200, 202)
    assert client.patch(
        WS, params=V, json={"properties": {"managedNetwork": {"managedNetworkKind": "V2"}}}
    ).status_code in (200, 202)
    back = {"isolationMode": mode, "managedNetworkKind": "v1"}
    if method == "PUT":
        refused = client.put(WS, params=V, json=workspace_body(properties={"managedNetwork": back}))
    else:
        refused = client.patch(WS, params=V, json={"properties": {"managedNetwork": back}})
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["target"] == "properties.managedNetwork.managedNetworkKind"
    kind = client.get(WS, params=V).json()["properties"]["managedNetwork"]["managedNetworkKind"]
    assert kind == "V2"


def _rule_statuses(client: httpx.Client) -> set[str]:
    listed = client.get(f"{WS}/outboundRules", params=V)
    assert listed.status_code == 200, listed.text
    return {r["properties"]["status"] for r in listed.json()["value"]}


def test_provision_network_now_provisions_at_create_and_reads_back_false() -> None:
    client = _client()
    assert _put(client, "AllowOnlyApprovedOutbound", provisionNetworkNow=True).status_code in (
        200,
        202,
    )
    got = client.get(WS, params=V).json()["properties"]
    assert got["provisionNetworkNow"] is False
    assert got["managedNetwork"]["status"]["status"] == "Active"
    assert _rule_statuses(client) == {"Active"}
    # An update keeps the network provisioned, whatever it sends.
    assert _put(client, "AllowOnlyApprovedOutbound", description="d").status_code in (200, 202)
    assert _rule_statuses(client) == {"Active"}


def test_provision_network_now_does_nothing_but_at_create() -> None:
    client = _client()
    assert _put(client, "AllowOnlyApprovedOutbound").status_code in (200, 202)
    assert _put(client, "AllowOnlyApprovedOutbound", provisionNetworkNow=True).status_code in (
        200,
        202,
    )
    assert client.get(WS, params=V).json()["properties"]["provisionNetworkNow"] is False
    assert _rule_statuses(client) == {"Inactive"}
