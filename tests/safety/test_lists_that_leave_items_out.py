"""A list that leaves out a resource that exists is not "absent": only ARM's 404 is.

ARM's lists can lag behind writes, and a proxy or a broken page can drop items. Read as
absent, the declared resource becomes a create whose PUT replaces what exists — tags set in
the portal, a description, a connection's stored key — wiped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Knobs, running
from reconciler.emulator.wire import Request, Response
from tests.security.conftest import RG, connection_manifest, run_cli, workspace_manifest
from tests.security.hostile import RewritingEmulator


def _manifest(names: list[str]) -> str:
    docs = [workspace_manifest(n) for n in names]
    return "---\n".join(docs) + connection_manifest("aoai", names[0])


def test_declared_resources_a_list_leaves_out_are_read_again_not_recreated(
    tmp_path: Path,
) -> None:
    dropping = {"on": False}

    def drop_items(request: Request, response: Response) -> None:
        body: Any = response.body
        listing = isinstance(body, dict) and isinstance(body.get("value"), list)
        if dropping["on"] and request.method == "GET" and listing:
            body["value"] = []

    emulator = RewritingEmulator(
        drop_items,
        knobs=Knobs(retry_after_seconds=0),
        resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
    )
    names = ["wsone", "wstwo", "wsthree"]  # three: read by listing the resource group
    (tmp_path / "m.yaml").write_text(_manifest(names))
    with running(emulator) as url:
        first = run_cli("apply", "--endpoint", url, "--auto-approve", "m.yaml", cwd=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        ws_id = (
            f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
            "Microsoft.MachineLearningServices/workspaces/wsone"
        )
        emulator.edit(ws_id, {"tags": {"portal": "keep-me"}})
        puts_before = dict(emulator.stats()["puts"])
        dropping["on"] = True
        plan = run_cli("plan", "--endpoint", url, "--detailed-exitcode", "m.yaml", cwd=tmp_path)
        apply = run_cli("apply", "--endpoint", url, "--auto-approve", "m.yaml", cwd=tmp_path)
        puts_after = dict(emulator.stats()["puts"])
    assert "to create" in plan.stdout and "0 to create" in plan.stdout, plan.stdout
    assert plan.returncode == 0, plan.stdout + plan.stderr  # nothing to change
    assert apply.returncode == 0, apply.stdout + apply.stderr
    assert puts_after == puts_before  # nothing written over what exists
    stored = emulator.state.workspaces
    assert any(r.body.get("tags") == {"portal": "keep-me"} for r in stored.values())
