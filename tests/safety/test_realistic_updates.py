"""Updates against answers shaped like real ARM: plan -> apply -> plan converges, and every PUT
body carries no null and keeps every live field the manifest does not change.

The answers come through :mod:`tests.safety.armshapes` (explicit nulls, empty strings,
lowercased ids, server-only and newer-version fields, the spaced identity type), with settings
made "in the portal" beforehand. Each case is one realistic update.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.safety.conftest import WS_PATH, World
from tests.safety.manifests import AOAI, BOTH_IDENTITIES, GIT, WORKSPACE

DISABLED = "description: first\n    publicNetworkAccess: Disabled"
Edit = Callable[[str, str, str], tuple[str, str, str]]


def _nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path or "$"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return []


def _at(body: Any, path: str) -> Any:
    for part in path.split("."):
        body = body.get(part) if isinstance(body, dict) else None
    return body


CASES: dict[str, tuple[Edit, list[str]]] = {
    # name: (how the manifests change, the live fields the update changes on purpose)
    "tag-added": (
        lambda ws, aoai, git: (ws.replace("{team: ml}", "{team: ml, env: prod}"), aoai, git),
        ["tags"],
    ),
    "description-changed": (
        lambda ws, aoai, git: (ws.replace("description: first", "description: second"), aoai, git),
        ["properties.description"],
    ),
    "public-network-access": (
        lambda ws, aoai, git: (
            ws.replace("description: first", DISABLED),
            aoai,
            git,
        ),
        ["properties.publicNetworkAccess"],
    ),
    "connection-target": (
        lambda ws, aoai, git: (ws, aoai.replace("one.openai", "two.openai"), git),
        ["properties.target"],
    ),
    "connection-secret-rotated": (
        lambda ws, aoai, git: (ws, aoai.replace("AOAI_KEY", "AOAI_KEY_ROTATED"), git),
        [],
    ),
    "user-assigned-identity-removed": (
        lambda ws, aoai, git: (ws, aoai, git),  # the base has both; the manifest keeps one
        ["identity"],
    ),
}

KEPT_WORKSPACE = [
    "location",
    "sku",
    "tags.CostCenter",
    "properties.applicationInsights",
    "properties.discoveryUrl",
    "properties.friendlyName",
    "properties.description",
    "properties.publicNetworkAccess",
    "properties.hbiWorkspace",
    "identity.type",
]
KEPT_CONNECTION = ["properties.sharedUserList", "properties.target", "properties.metadata"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_update_converges_and_its_put_keeps_every_live_field(
    world: World, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    monkeypatch.setenv("AOAI_KEY_ROTATED", "canary-key-two")
    edit, changed = CASES[case]
    base = WORKSPACE
    if case == "user-assigned-identity-removed":
        base = WORKSPACE.replace("identity: {type: SystemAssigned}", BOTH_IDENTITIES)
    world.write(base, AOAI, GIT)
    assert world.cli("apply", "--auto-approve")[0] == 0
    # Settings made in the portal, which the manifests do not declare.
    ws_id = world.stored("ws-real")["id"]
    world.emulator.edit(
        ws_id,
        {
            "tags": {"CostCenter": "42"},
            "properties": {"applicationInsights": "/subscriptions/x/insights/set-in-portal"},
        },
    )
    world.emulator.edit(ws_id + "/connections/aoai", {"properties": {"sharedUserList": ["bob"]}})
    live = {
        "ws-real": world.get(f"{WS_PATH}/ws-real"),
        "aoai": world.get(f"{WS_PATH}/ws-real/connections/aoai", "2024-04-01"),
    }
    assert _nulls(live["ws-real"]) and _nulls(live["aoai"]), "the proxy answers with nulls"

    world.write(*edit(WORKSPACE, AOAI, GIT))
    world.proxy.puts.clear()
    code, out, err = world.cli("plan", "--detailed-exitcode")
    assert code == 2, out + err
    code, out, err = world.cli("apply", "--auto-approve")
    assert code == 0, out + err
    code, out, err = world.cli("plan", "--detailed-exitcode")
    assert code == 0, out + err

    assert world.proxy.puts, "the update was sent"
    for path, body in world.proxy.puts:
        assert not _nulls(body), (path, _nulls(body))
        name = path.rstrip("/").rsplit("/", 1)[-1]
        kept = KEPT_WORKSPACE if name == "ws-real" else KEPT_CONNECTION
        for field in kept:
            if any(field == c or field.startswith(c + ".") for c in changed):
                continue
            before = _at(live[name], field)
            if before not in (None, ""):
                assert _at(body, field) is not None, f"{case}: the PUT of {name} dropped {field}"
    if case == "user-assigned-identity-removed":
        stored = world.stored("ws-real")["identity"]
        assert stored["type"] == "SystemAssigned"
        assert not stored.get("userAssignedIdentities")
    if case == "connection-secret-rotated":
        assert world.credentials("ws-real", "aoai") == {"key": "canary-key-two"}
    else:
        assert world.credentials("ws-real", "aoai") == {"key": "canary-key-one"}
    assert world.stored("ws-real")["tags"]["CostCenter"] == "42"
