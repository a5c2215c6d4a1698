"""What Azure enforces beyond the schema: soft delete, names, throttling headers, request ids,
and identifiers that are fresh on every start."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, transport
from tests.linked import workspace_body

RG = "sem-rg"
WS = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces"
)
V = {"api-version": "2024-04-01"}


def _client(emulator: Emulator | None = None, **knobs: Any) -> httpx.Client:
    emulator = emulator or Emulator(
        knobs=Knobs(**knobs), resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    return httpx.Client(
        transport=transport(emulator),
        base_url="http://emulator.local",
        headers={"Authorization": "Bearer t"},
    )


def _put(client: httpx.Client, name: str = "ws1") -> httpx.Response:
    return client.put(
        f"{WS}/{name}", params=V, json=workspace_body(properties={"description": "d"})
    )


def test_a_deleted_workspace_is_soft_deleted_and_blocks_its_name() -> None:
    client = _client()
    _put(client)
    assert client.delete(f"{WS}/ws1", params=V).status_code == 202
    assert client.get(f"{WS}/ws1", params=V).status_code == 404
    again = _put(client)
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "BadRequest"
    # Azure's own words (Azure/ResourceModules#3596, Azure/CanadaPubSecALZ#380): the product
    # recognises this refusal by them.
    assert again.json()["error"]["message"] == (
        "Soft-deleted workspace exists. Please purge or recover it. https://aka.ms/wsoftdelete"
    )


def test_force_to_purge_frees_the_name() -> None:
    client = _client()
    _put(client)
    purged = client.delete(f"{WS}/ws1", params={**V, "forceToPurge": "true"})
    assert purged.status_code == 202
    assert _put(client).status_code == 202


def test_a_soft_deleted_workspace_frees_its_name_after_the_14_day_retention(
    tmp_path: Path,
) -> None:
    now = [1_700_000_000.0]
    state = tmp_path / "state.json"

    def started() -> httpx.Client:  # again from the state file, as a restarted emulator is
        emulator = Emulator(
            clock=lambda: now[0],
            state_file=state,
            resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
        )
        return _client(emulator)

    client = started()
    _put(client)
    client.delete(f"{WS}/ws1", params=V)
    now[0] += 14 * 24 * 3600 - 1
    assert _put(started()).status_code == 400
    now[0] += 1
    assert _put(started()).status_code == 202


def test_a_soft_deleted_workspace_can_be_purged_afterwards() -> None:
    client = _client()
    _put(client)
    client.delete(f"{WS}/ws1", params=V)
    assert client.delete(f"{WS}/ws1", params={**V, "forceToPurge": "true"}).status_code == 200
    assert _put(client).status_code == 202


@pytest.mark.parametrize("name", ["a%2Fb", "%2E%2E", "x" * 40, "bad!name", "ab", "-lead", "a%20b"])
def test_names_outside_the_documented_pattern_are_refused_after_decoding(name: str) -> None:
    client = _client()
    answer = client.put(f"{WS}/{name}", params=V, json=workspace_body())
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "InvalidResourceName"
    assert client.get("/_emulator/state").json()["workspaces"] == []


def test_a_percent_encoded_valid_name_is_the_decoded_name() -> None:
    client = _client()
    assert client.put(f"{WS}/%77s1", params=V, json=workspace_body()).status_code == 202
    assert client.get(f"{WS}/ws1", params=V).json()["name"] == "ws1"


def test_every_answer_carries_its_throttling_bucket() -> None:
    client = _client()
    read = client.get(f"{WS}/nope", params=V)
    write = _put(client)
    delete = client.delete(f"{WS}/ws1", params=V)
    bad_version = client.get(f"{WS}/ws1", params={"api-version": "1999-01-01"})
    assert int(read.headers["x-ms-ratelimit-remaining-subscription-reads"]) == 249
    assert int(write.headers["x-ms-ratelimit-remaining-subscription-writes"]) == 199
    assert int(delete.headers["x-ms-ratelimit-remaining-subscription-deletes"]) == 199
    assert "x-ms-ratelimit-remaining-subscription-reads" in bad_version.headers


def test_deletes_have_their_own_bucket_and_429_is_subscription_requests_throttled() -> None:
    client = _client(throttle=True, throttle_scale=0.01)  # 2 deletes, 2 writes
    _put(client, "ws1")
    _put(client, "ws2")
    assert client.delete(f"{WS}/ws1", params=V).status_code == 202  # writes are spent; deletes not
    assert client.delete(f"{WS}/ws2", params=V).status_code == 202
    throttled = client.delete(f"{WS}/ws3", params=V)
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert throttled.headers["Retry-After"]


def test_request_ids_are_guids_and_correlation_ids_are_echoed_or_made() -> None:
    client = _client()
    echoed = client.get(f"{WS}/nope", params=V, headers={"x-ms-correlation-request-id": "abc"})
    made = client.get(f"{WS}/nope", params=V)
    uuid.UUID(echoed.headers["x-ms-request-id"])
    assert echoed.headers["x-ms-correlation-request-id"] == "abc"
    uuid.UUID(made.headers["x-ms-correlation-request-id"])
    assert echoed.headers["x-ms-request-id"] != made.headers["x-ms-request-id"]


def _ids_after_a_restart(state: Path, seed: int | None) -> list[str]:
    found = []
    for name in ("wsa", "wsb"):
        emulator = Emulator(
            knobs=Knobs(seed=seed), state_file=state, resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
        )
        client = _client(emulator)
        put = client.put(
            f"{WS}/{name}",
            params=V,
            json=workspace_body(identity={"type": "SystemAssigned"}),
        )
        got = client.get(f"{WS}/{name}", params=V).json()
        found += [
            got["properties"]["workspaceId"],
            got["identity"]["principalId"],
            re.findall(r"/([0-9a-f-]{36})\?", put.headers["Location"])[0],
        ]
    return found


def test_ids_are_fresh_across_restarts_with_a_state_file(tmp_path: Path) -> None:
    ids = _ids_after_a_restart(tmp_path / "state.json", seed=None)
    assert len(set(ids)) == len(ids)
    for value in ids:
        uuid.UUID(value)


def test_every_operation_can_be_polled_after_a_restart_with_a_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"

    def started() -> httpx.Client:
        return _client(Emulator(state_file=state, resource_groups=((DEFAULT_SUBSCRIPTION, RG),)))

    client = started()
    polls = [_put(client, name).headers["Azure-AsyncOperation"] for name in ("wsa", "wsb")]
    restarted = started()
    assert [restarted.get(url).json()["status"] for url in polls] == ["Succeeded"] * 2


def test_a_seed_makes_ids_reproducible(tmp_path: Path) -> None:
    first = _ids_after_a_restart(tmp_path / "a.json", seed=5)
    second = _ids_after_a_restart(tmp_path / "b.json", seed=5)
    assert first == second


KV = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.KeyVault/vaults/kv1"
)
SA = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourcegroups/{RG}/providers/"
    "microsoft.storage/storageaccounts/sa1"
)


@pytest.mark.parametrize(
    ("properties", "target"),
    [
        ({}, "properties.keyVault"),
        ({"keyVault": KV}, "properties.storageAccount"),
        ({"keyVault": "not-an-arm-id", "storageAccount": SA}, "properties.keyVault"),
        ({"keyVault": SA, "storageAccount": SA}, "properties.keyVault"),
        ({"keyVault": KV, "storageAccount": KV}, "properties.storageAccount"),
    ],
)
def test_a_workspace_is_created_only_with_well_formed_ids_of_its_key_vault_and_storage(
    properties: dict[str, str], target: str
) -> None:
    client = _client()  # by default, as in Azure
    refused = client.put(
        f"{WS}/ws1", params=V, json={"location": "eastus", "properties": properties}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] in ("ValidationError", "LinkedInvalidPropertyId")
    assert refused.json()["error"]["target"] == target
    assert client.get("/_emulator/state").json()["workspaces"] == []


def test_the_strict_dependencies_knob_off_creates_a_workspace_without_them() -> None:
    client = _client(strict_dependencies=False)
    answer = client.put(f"{WS}/ws1", params=V, json={"location": "eastus"})
    assert answer.status_code == 202


def test_a_workspace_with_its_key_vault_and_storage_is_created_and_keeps_them() -> None:
    client = _client(shapes="clean")
    body = {"location": "eastus", "properties": {"keyVault": KV, "storageAccount": SA}}
    assert client.put(f"{WS}/ws1", params=V, json=body).status_code == 202
    # an update may leave them out: they are kept
    assert client.put(f"{WS}/ws1", params=V, json={"location": "eastus"}).status_code == 202
    kept = client.get(f"{WS}/ws1", params=V).json()["properties"]
    assert kept["keyVault"] == KV and kept["storageAccount"] == SA


def test_a_missing_workspace_is_the_gateways_404_a_missing_connection_the_providers() -> None:
    client = _client()
    gateway = client.get(f"{WS}/nope", params=V)
    assert gateway.status_code == 404
    assert gateway.json() == {"error": {"code": "ResourceNotFound", "message": ANY_TEXT}}
    _put(client)
    provider = client.get(f"{WS}/ws1/connections/nope", params=V)
    assert provider.status_code == 404
    body = provider.json()
    assert body["error"]["code"] == "UserError"
    assert body["error"]["innerError"] == {"code": "NotFoundError", "innerError": None}
    assert body["componentName"] and body["location"] == "eastus" and body["correlation"]
    assert provider.headers["x-ms-error-code"] == "UserError"


class _AnyText(str):
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(other)

    __hash__ = str.__hash__


ANY_TEXT = _AnyText()
