"""export -> validate -> plan holds on real-shaped state, not only on the emulator's clean one.

Real answers carry explicit nulls, empty strings, a server-only ``sdkTelemetryAppInsightsKey``,
newer-version fields (``kind``, ``enableDataIsolation``) and the identity type spelled
``SystemAssigned, UserAssigned``; each of them, written out as it came, is a validate error. A
newer field set is kept: the workspace is then written at the api-version that defines it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.safety.conftest import RG, SUB, World
from tests.safety.manifests import AOAI, BOTH_IDENTITIES, GIT, WORKSPACE


def test_export_writes_only_what_validates_and_plans_clean(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    world.write(WORKSPACE.replace("identity: {type: SystemAssigned}", BOTH_IDENTITIES), AOAI, GIT)
    assert world.cli("apply", "--auto-approve")[0] == 0
    # Set in the portal with a newer api-version.
    world.emulator.edit(
        world.stored("ws-real")["id"], {"properties": {"enableDataIsolation": True}}
    )

    out_dir = tmp_path / "exported"
    code, out, err = world.run(
        "export", "--subscription", SUB, "--resource-group", RG, "--endpoint", world.proxy.url,
        "--out", str(out_dir),
    )  # fmt: skip
    assert code == 0, err
    text = (out_dir / RG / "ws-real.yaml").read_text(encoding="utf-8")
    body = text.split("\napiVersion:", 1)[1]  # the documents, after the header comments
    for unwanted in ("sdkTelemetryAppInsightsKey", "kind: Default", "null"):
        assert unwanted not in body, unwanted
    assert "type: SystemAssigned,UserAssigned" in body
    # 2023-04-01 cannot write it and 2025-09-01 can: the workspace is written at that one.
    assert "enableDataIsolation: true" in body and "apiVersion: '2025-09-01'" in body, text
    assert "Not exported" not in text, text

    monkeypatch.setenv("WS_REAL_AOAI_KEY", "canary-key-one")
    code, out, err = world.run("validate", str(out_dir))
    assert code == 0, out + err
    code, out, err = world.run(
        "plan", "--endpoint", world.proxy.url, "--detailed-exitcode", str(out_dir)
    )
    assert code == 0, out + err


def _second_list_without_ws_real(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workspaces, one of which (ws-real) only 2025-09-01 writes: it is read again at
    that version's list, which here leaves it out (a list lagging behind, a proxy dropping
    an item)."""
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    world.write(WORKSPACE, AOAI, GIT, WORKSPACE.replace("ws-real", "ws-two"))
    assert world.cli("apply", "--auto-approve")[0] == 0
    world.emulator.edit(
        world.stored("ws-real")["id"], {"properties": {"enableDataIsolation": True}}
    )
    answer = world.proxy.answer

    def second_list_without_it(
        method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        status, out, content = answer(method, target, headers, body)
        path, _, query = target.partition("?")
        if method == "GET" and path.endswith("/workspaces") and "2025-09-01" in query:
            page = json.loads(content)
            page["value"] = [w for w in page["value"] if w["name"] != "ws-real"]
            content = json.dumps(page).encode()
        return status, out, content

    monkeypatch.setattr(world.proxy, "answer", second_list_without_it)


def _export(world: World, out_dir: Path) -> tuple[int, str, str]:
    return world.run(
        "export", "--subscription", SUB, "--resource-group", RG, "--endpoint", world.proxy.url,
        "--out", str(out_dir),
    )  # fmt: skip


def test_a_resource_its_second_list_leaves_out_is_read_by_get_and_exported(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The list lags behind; the workspace's own GET at that version finds it: it is exported
    at it like the others, and the export validates."""
    _second_list_without_ws_real(world, monkeypatch)
    out_dir = tmp_path / "exported"
    code, out, err = _export(world, out_dir)
    assert code == 0, out + err
    assert err == "", err
    text = (out_dir / RG / "ws-real.yaml").read_text(encoding="utf-8")
    assert "enableDataIsolation: true" in text and "apiVersion: '2025-09-01'" in text, text
    assert (out_dir / RG / "ws-two.yaml").exists()
    monkeypatch.setenv("WS_REAL_AOAI_KEY", "canary-key-one")
    monkeypatch.setenv("WS_TWO_AOAI_KEY", "canary-key-one")
    code, out, err = world.run("validate", str(out_dir))
    assert code == 0, out + err


def test_a_resource_deleted_before_its_get_is_left_out_saying_so(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Deleted between the two lists: ARM's own 404 on its GET says so. It is left out, in
    one line on stderr naming it, and the others are exported."""
    _second_list_without_ws_real(world, monkeypatch)
    gone = b'{"error": {"code": "ResourceNotFound", "message": "not found"}}'
    world.proxy.fault("GET", "/workspaces/ws-real", 404, gone)
    out_dir = tmp_path / "exported"
    code, out, err = _export(world, out_dir)
    assert code == 0, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "ws-real" in lines[0] and "not exported" in lines[0], err
    assert "2025-09-01" in lines[0] and "404" in lines[0], err
    assert not (out_dir / RG / "ws-real.yaml").exists()
    assert (out_dir / RG / "ws-two.yaml").exists()


def test_a_resource_its_second_list_leaves_out_and_its_get_cannot_read_is_an_error(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Its GET answered with a sign-in page: whether it exists, nothing says. The export
    fails naming it, and writes nothing, rather than an export of the other one alone."""
    _second_list_without_ws_real(world, monkeypatch)
    world.proxy.html("GET", "/workspaces/ws-real")
    out_dir = tmp_path / "exported"
    code, out, err = _export(world, out_dir)
    assert code == 1, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "ws-real" in lines[0], err
    assert not out_dir.exists() or not any(out_dir.rglob("*.yaml"))
