"""A field the api-version does not define is ignored as ARM ignores it: not refused, and not
kept either. The resource provider reads a body into its model of that version, so what the
model has no member for never reaches its store, and a GET never shows it. A PATCH is read
into the update model, which has fewer members: a PATCH naming ``storageAccount`` (create-only,
not in ``WorkspacePropertiesUpdateParameters``) changes nothing.

Kept, a client's misspelt field (``friendlyNme``) read back as if Azure had stored it, and a
PATCH of a create-only field seemed to succeed: a client tested against the emulator would
pass where Azure drops the field (a diff on every plan) or keeps the old value."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, transport
from tests.linked import STORAGE_ACCOUNT, workspace_body

RG = "rg-1"
WS = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces"
)
V = {"api-version": "2024-04-01"}


@pytest.fixture(params=["realistic", "clean"])
def client(request: pytest.FixtureRequest) -> httpx.Client:
    emulator = Emulator(
        knobs=Knobs(shapes=request.param), resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    return httpx.Client(
        transport=transport(emulator),
        base_url="http://emulator.local",
        headers={"Authorization": "Bearer t"},
    )


def _properties(client: httpx.Client, path: str) -> dict[str, Any]:
    answer = client.get(path, params=V)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["properties"])


def test_a_workspace_put_keeps_no_field_its_version_does_not_define(client: httpx.Client) -> None:
    body = workspace_body(properties={"friendlyNme": "typo", "description": "kept"})
    assert client.put(f"{WS}/ws1", params=V, json=body).status_code in (200, 201, 202)
    shown = _properties(client, f"{WS}/ws1")
    assert "friendlyNme" not in shown and shown["description"] == "kept"


def test_a_workspace_patch_changes_only_what_the_update_model_defines(
    client: httpx.Client,
) -> None:
    assert client.put(f"{WS}/ws1", params=V, json=workspace_body()).status_code in (200, 202)
    patch = {
        "properties": {
            "description": "patched",
            "storageAccount": f"{STORAGE_ACCOUNT}other",
            "hbiWorkspace": True,
            "friendlyNme": "typo",
        }
    }
    assert client.patch(f"{WS}/ws1", params=V, json=patch).status_code in (200, 202)
    shown = _properties(client, f"{WS}/ws1")
    assert shown["description"] == "patched"
    assert shown["storageAccount"].lower() == STORAGE_ACCOUNT.lower()
    assert not shown.get("hbiWorkspace")
    assert "friendlyNme" not in shown


def test_a_connection_put_keeps_no_field_its_version_does_not_define(
    client: httpx.Client,
) -> None:
    assert client.put(f"{WS}/ws1", params=V, json=workspace_body()).status_code in (200, 202)
    body = {
        "properties": {
            "category": "Git",
            "authType": "None",
            "target": "https://git.example/repo",
            "tagret": "typo",
        }
    }
    path = f"{WS}/ws1/connections/git"
    assert client.put(path, params=V, json=body).status_code == 200
    shown = _properties(client, path)
    assert "tagret" not in shown and shown["target"] == "https://git.example/repo"
