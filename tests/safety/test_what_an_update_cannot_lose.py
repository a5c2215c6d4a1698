"""ARM's PUT replaces the whole resource: an update must not silently lose what it cannot send
back. The plan says which updates cannot be applied and why; apply refuses them (exit 1,
nothing written); ``--strict`` lists what it removes, applies, and then converges.
"""

from __future__ import annotations

import pytest

from tests.safety.conftest import World
from tests.safety.manifests import AOAI, GIT, WORKSPACE

NO_CREDENTIALS = AOAI.replace("    credentials: {key: {fromEnv: AOAI_KEY}}\n", "")


def test_a_connection_update_without_declared_credentials_is_refused_not_wiped(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    world.write(WORKSPACE, AOAI, GIT)
    assert world.cli("apply", "--auto-approve")[0] == 0
    world.write(WORKSPACE, NO_CREDENTIALS.replace("one.openai", "two.openai"), GIT)
    world.proxy.puts.clear()

    code, out, err = world.cli("plan")
    assert code == 0, err
    assert "~ properties.target" in out or "properties.target" in out
    assert "without wiping its stored credentials" in out and "'aoai'" in out
    assert "spec.properties.credentials" in out

    code, out, err = world.cli("apply", "--auto-approve")
    assert code == 1, out + err
    assert "skipped" in err and "without wiping its stored credentials" in err
    assert world.proxy.put_bodies("/connections/aoai") == []
    assert world.credentials("ws-real", "aoai") == {"key": "canary-key-one"}

    # Declared again, the credentials are sent from their reference with the change.
    world.write(WORKSPACE, AOAI.replace("one.openai", "two.openai"), GIT)
    assert world.cli("apply", "--auto-approve")[0] == 0
    assert world.credentials("ws-real", "aoai") == {"key": "canary-key-one"}
    assert world.cli("plan", "--detailed-exitcode")[0] == 0


def test_fields_the_api_version_cannot_carry_block_an_update_and_strict_removes_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    world.write(WORKSPACE, AOAI, GIT)
    assert world.cli("apply", "--auto-approve")[0] == 0
    ws_id = world.stored("ws-real")["id"]
    # Set by the portal with a newer api-version than the one this tool writes.
    world.emulator.edit(
        ws_id,
        {"kind": "Hub", "properties": {"enableDataIsolation": True, "hbiWorkspace": True}},
    )
    world.write(WORKSPACE.replace("friendlyName: Real", "friendlyName: Renamed"), AOAI, GIT)
    world.proxy.puts.clear()

    code, out, err = world.cli("plan")
    assert code == 0, err
    assert "cannot be updated without losing properties.enableDataIsolation" in out
    assert "losing kind" not in out  # the service keeps a workspace's kind whatever is sent
    code, out, err = world.cli("apply", "--auto-approve")
    assert code == 1, out + err
    assert "skipped" in err and "properties.enableDataIsolation" in err
    assert world.proxy.put_bodies("/workspaces/ws-real") == []
    stored = world.stored("ws-real")
    assert stored["kind"] == "Hub" and stored["properties"]["enableDataIsolation"] is True

    # --strict lists exactly what it removes, and removes it.
    code, out, err = world.cli("plan", "--strict")
    assert code == 0, err
    for removed in ("properties.enableDataIsolation", "properties.hbiWorkspace"):
        assert removed in out
    assert "- kind" not in out
    assert "cannot be updated" not in out
    assert world.cli("apply", "--strict", "--auto-approve")[0] == 0
    assert "enableDataIsolation" not in world.stored("ws-real")["properties"]
    assert world.stored("ws-real")["kind"] == "Hub"
    assert world.cli("plan", "--strict", "--detailed-exitcode")[0] == 0


def test_strict_converges_against_realistic_answers(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Server defaults (discoveryUrl, publicNetworkAccess, sku, isSharedToAll) and our own
    ownership marker are not removals: after apply --strict, plan --strict has nothing."""
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    world.write(WORKSPACE, AOAI, GIT)
    assert world.cli("apply", "--strict", "--auto-approve")[0] == 0
    code, out, err = world.cli("plan", "--strict", "--detailed-exitcode")
    assert code == 0, out + err
    writes = world.writes()
    code, out, err = world.cli("apply", "--strict", "--auto-approve")
    assert code == 0, out + err
    assert world.writes() == writes, "a strict apply with nothing to do wrote again"
