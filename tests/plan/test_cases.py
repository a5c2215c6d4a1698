"""Planner cases as data: each file in cases/ holds desired manifests, live state and the
changes the planner must find. One parametrized test runs them all (see cases/README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.manifest import secrets
from reconciler.manifest.load import load
from reconciler.manifest.model import Address, Kind
from reconciler.plan.model import Action
from reconciler.plan.planner import Options, plan
from reconciler.read.livestate import LiveState

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))
SUB = "00000000-1111-2222-3333-444444444444"
RG = "rg-1"


def _ws_address(name: str) -> Address:
    return Address(Kind.WORKSPACE, SUB, RG, name)


def _live(data: dict[str, Any], declared: list[str], compare: bool) -> LiveState:
    live = LiveState()
    present = {str(body["name"]).lower(): body for body in data.get("workspaces", [])}
    for name in declared:
        live.put(_ws_address(name), present.get(name.lower()))
    spelled = {name.lower(): name for name in declared}  # as the reader names them
    for ws, items in (data.get("connections") or {}).items():
        for item in items:
            workspace = spelled.get(ws.lower(), ws)
            live.put(Address(Kind.CONNECTION, SUB, RG, str(item["name"]), workspace), item)
    if compare:
        for ref, creds in (data.get("credentials") or {}).items():
            ws, name = ref.split("/")
            live.credentials[Address(Kind.CONNECTION, SUB, RG, name, ws).key] = creds
    live.secrets_note = data.get("secrets_note")
    return live


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_planner_case(case: Path, tmp_path: Path) -> None:
    spec = YAML(typ="safe").load(case.read_text(encoding="utf-8"))
    manifest = tmp_path / "m.yaml"
    manifest.write_text(spec["desired"], encoding="utf-8")
    env = {k: str(v) for k, v in (spec.get("env") or {}).items()}
    result = load([manifest], env=env)
    assert result.ok, [p.render() for p in result.problems]
    m = result.manifests
    compare = spec.get("compare_secrets", True)
    live = _live(spec.get("live") or {}, [w.address.name for w in m.workspaces], compare)
    values = secrets.values_for_comparison(m.connections, env)
    got = plan(
        m,
        live,
        options=Options(strict=spec.get("strict", False), compare_secrets=compare),
        secret_values=values,
    )
    by_suffix = {c.address.split("/", 3)[-1].lower(): c for c in got.changes}
    expected = spec["expect"]
    assert sorted(by_suffix) == sorted(e["address"].lower() for e in expected), [
        (c.address, c.action.value, c.reason) for c in got.changes
    ]
    for want in expected:
        change = by_suffix[want["address"].lower()]
        assert change.action is Action(want["action"]), (
            change.address,
            change.reason,
            change.diffs,
        )
        if "fields" in want:
            assert sorted(d.path for d in change.diffs) == sorted(want["fields"]), change.diffs
        for path in want.get("sensitive", []):
            diff = next(d for d in change.diffs if d.path == path)
            assert diff.sensitive and diff.after == "(sensitive value changed)"
        for path in want.get("create_only", []):
            assert next(d for d in change.diffs if d.path == path).create_only
        if "reason" in want:
            assert want["reason"] in change.reason
        if "warning" in want:
            assert any(want["warning"] in w for w in change.warnings), change.warnings
    for note in spec.get("notes", []):
        assert any(note in n for n in got.notes), got.notes
    text = repr(got)
    for value in env.values():
        assert value not in text, "a secret value reached the plan"
