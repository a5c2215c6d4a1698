"""Planner cases as data: each file in cases/ holds desired manifests, live state, the options
of the command line and the changes the planner must find, each with its reason code. One
parametrized test runs them all (see cases/README.md)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler import kinds
from reconciler.manifest import secrets
from reconciler.manifest.load import LoadOptions, load
from reconciler.manifest.model import Address, Kind, ManifestSet
from reconciler.plan.destroy import DestroyOptions, destroy_plan
from reconciler.plan.model import Action, Change, Plan, ReasonCode
from reconciler.plan.planner import Options, plan
from reconciler.playwright.audit import evaluate
from reconciler.playwright.client import TokenInfo
from reconciler.read.livestate import LiveState, without_nulls

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))
SUB = "00000000-1111-2222-3333-444444444444"
RG = "rg-1"
NOW = "2026-06-01T00:00:00Z"  # the audits' clock, unless a case's options say otherwise

# What a case file may hold; a misspelt key would otherwise be silently ignored.
CASE_KEYS = {"desired", "env", "options", "live", "expect", "notes"}
OPTION_KEYS = {"strict", "secrets", "prune", "owner", "targets", "now"}
OPTION_KEYS |= {"destroy", "include_workspaces", "purge"}  # `destroy` and its flags
# What a workspace holds, by each child kind's collection ("connections", "outboundRules").
CHILDREN = {k.collection: k for k in kinds.KINDS if not k.top}
LIVE_KEYS = {"workspaces", "credentials", "secrets_note", "playwright", *CHILDREN}
EXPECT_KEYS = {"address", "action", "code", "fields", "sensitive", "create_only", "reason"}
EXPECT_KEYS |= {"warning"}


def _load_case(path: Path) -> dict[str, Any]:
    spec: dict[str, Any] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert set(spec) <= CASE_KEYS, f"unknown keys {set(spec) - CASE_KEYS}"
    assert set(spec.get("options") or {}) <= OPTION_KEYS, spec["options"]
    assert set(spec.get("live") or {}) <= LIVE_KEYS, spec["live"]
    for want in spec["expect"]:
        assert set(want) <= EXPECT_KEYS, f"unknown keys {set(want) - EXPECT_KEYS}"
        assert {"address", "action", "code"} <= set(want), f"{want}: address, action, code"
    return spec


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _ws_address(name: str) -> Address:
    return Address(Kind("Workspace"), SUB, RG, name)


def _live(data: dict[str, Any], declared: list[str], compare: bool) -> LiveState:
    live = LiveState()
    present = {str(body["name"]).lower(): body for body in data.get("workspaces", [])}
    for name in declared:
        found = present.get(name.lower())
        # as the reader hands bodies over: explicit nulls dropped (read.live.resource/listed)
        live.put(_ws_address(name), None if found is None else without_nulls(found))
    spelled = {name.lower(): name for name in declared}  # as the reader names them
    for collection, kind in CHILDREN.items():
        for ws, items in (data.get(collection) or {}).items():
            for item in items:
                workspace = spelled.get(ws.lower(), ws)
                live.put(kind.address(SUB, RG, str(item["name"]), workspace), without_nulls(item))
    if compare:
        for ref, creds in (data.get("credentials") or {}).items():
            ws, name = ref.split("/")
            # as the reader keeps a listsecrets answer: its properties' secret fields
            live.credentials[Address(Kind("Connection"), SUB, RG, name, ws).key] = {
                "credentials": creds
            }
    live.secrets_note = data.get("secrets_note")
    return live


def _audits(manifests: ManifestSet, data: dict[str, Any], now: str) -> tuple[Change, ...]:
    """The findings of each declared audit over the tokens the case lists for its name
    (null: the account does not exist)."""
    findings: list[Change] = []
    for audit in manifests.playwright:
        listed = (data.get("playwright") or {}).get(audit.name)
        tokens = None
        if listed is not None:
            tokens = [
                TokenInfo(
                    id=str(i),
                    name=t["name"],
                    created_at=None,
                    expiry_at=_instant(t["expiryAt"]) if t.get("expiryAt") else None,
                    state=t.get("state", "Active"),
                )
                for i, t in enumerate(listed)
            ]
        findings += evaluate(audit, tokens, _instant(now))
    return tuple(findings)


def _suffix(change: Change) -> str:
    """How a case names a change: a resource by ``ws`` or ``ws/conn``, an audit finding by
    its whole address (``PlaywrightAccessTokens/audit[/token]``)."""
    if change.kind == Kind("PlaywrightAccessTokens"):
        return change.address.lower()
    return change.address.split("/", 3)[-1].lower()


def _run(spec: dict[str, Any], tmp_path: Path) -> Plan:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(spec["desired"], encoding="utf-8")
    env = {k: str(v) for k, v in (spec.get("env") or {}).items()}
    result = load([manifest], LoadOptions(cross_check=kinds.cross_check), env=env)
    assert result.ok, [p.render() for p in result.problems]
    m = result.manifests
    opts = spec.get("options") or {}
    if "owner" in opts:
        m = dataclasses.replace(m, owner=opts["owner"])  # --owner overrides the Defaults'
    compare = opts.get("secrets", "compare") == "compare"
    live_data = spec.get("live") or {}
    live = _live(live_data, [w.address.name for w in m.of(Kind("Workspace"))], compare)
    if opts.get("destroy"):
        wanted = DestroyOptions(
            include_workspaces=opts.get("include_workspaces", False),
            purge=opts.get("purge", False),
        )
        return destroy_plan(m, live, options=wanted, targets=tuple(opts.get("targets", ())))
    options = Options(
        strict=opts.get("strict", False), compare_secrets=compare, prune=opts.get("prune", False)
    )
    return plan(
        m,
        live,
        options=options,
        secret_values=secrets.values_for_comparison(m.of(Kind("Connection")), env)
        if compare
        else {},
        targets=tuple(opts.get("targets", ())),
        extra=_audits(m, live_data, str(opts.get("now", NOW))),
    )


def _check(change: Change, want: dict[str, Any]) -> None:
    why = (change.address, change.code, change.reason, change.diffs)
    assert change.action is Action(want["action"]), why
    assert change.code is ReasonCode(want["code"]), why
    if "fields" in want:
        assert sorted(d.path for d in change.diffs) == sorted(want["fields"]), change.diffs
    for path in want.get("sensitive", []):
        diff = next(d for d in change.diffs if d.path == path)
        assert diff.sensitive and diff.after == "(sensitive value changed)"
    for path in want.get("create_only", []):
        assert next(d for d in change.diffs if d.path == path).create_only
    if "reason" in want:
        assert want["reason"] in change.reason, why
    if "warning" in want:
        assert any(want["warning"] in w for w in change.warnings), change.warnings


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_planner_case(case: Path, tmp_path: Path) -> None:
    spec = _load_case(case)
    got = _run(spec, tmp_path)
    by_suffix = {_suffix(c): c for c in got.changes}
    expected = spec["expect"]
    assert sorted(by_suffix) == sorted(e["address"].lower() for e in expected), [
        (c.address, c.action.value, c.code.value, c.reason) for c in got.changes
    ]
    for want in expected:
        _check(by_suffix[want["address"].lower()], want)
    for note in spec.get("notes", []):
        assert any(note in n for n in got.notes), got.notes
    text = repr(got)
    for value in (spec.get("env") or {}).values():
        assert str(value) not in text, "a secret value reached the plan"


def test_every_reason_code_has_a_case() -> None:
    """A code no case asserts is a rule nobody pinned down."""
    asserted = {want["code"] for case in CASES for want in _load_case(case)["expect"]}
    assert sorted({c.value for c in ReasonCode} - asserted) == []
