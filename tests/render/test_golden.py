"""Renderers are pinned by golden files: text, JSON and Markdown of one plan with every action.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 python -m pytest tests/render``
and review the diff like any other code change.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.manifest.model import Kind
from reconciler.plan.model import Action, Change, FieldDiff, Plan, ReasonCode
from reconciler.render import render
from reconciler.render.markdown import render_markdown
from reconciler.schemas import load_schema

GOLDEN = Path(__file__).parent / "golden"
WS = "Workspace/00000000-1111-2222-3333-444444444444/rg-1/ws1"
WS2 = "Workspace/00000000-1111-2222-3333-444444444444/rg-1/ws2"


def sample_plan() -> Plan:
    return Plan(
        changes=(
            Change(
                address=WS,
                kind=Kind("Workspace"),
                action=Action.REPLACE_REQUIRED,
                code=ReasonCode.CREATE_ONLY,
                reason="properties.storageAccount is create-only: replacement required",
                workspace=WS,
                diffs=(
                    FieldDiff(
                        "properties.storageAccount",
                        "/subscriptions/s/sa1",
                        "/subscriptions/s/sa2",
                        create_only=True,
                    ),
                    FieldDiff("tags.env", "dev", "prod"),
                ),
                fingerprint="sha256:aa",
            ),
            Change(
                address=WS + "/aoai",
                kind=Kind("Connection"),
                action=Action.UPDATE,
                code=ReasonCode.SECRET_ROTATED,
                reason="(sensitive value changed)",
                workspace=WS,
                diffs=(
                    FieldDiff(
                        "properties.credentials.key",
                        "(sensitive)",
                        "(sensitive value changed)",
                        sensitive=True,
                    ),
                ),
                fingerprint="sha256:bb",
            ),
            Change(
                address=WS + "/portal",
                kind=Kind("Connection"),
                action=Action.UNMANAGED,
                code=ReasonCode.UNMANAGED,
                reason="exists in Azure but is not declared; left alone",
                workspace=WS,
                fingerprint="sha256:cc",
            ),
            Change(
                address=WS + "/git",
                kind=Kind("Connection"),
                action=Action.NO_OP,
                code=ReasonCode.MATCHES_MANIFEST,
                reason="matches the manifest",
                workspace=WS,
                fingerprint="sha256:dd",
            ),
            Change(
                address=WS2,
                kind=Kind("Workspace"),
                action=Action.CREATE,
                code=ReasonCode.NOT_FOUND,
                reason="not found in Azure",
                workspace=WS2,
                after={"location": "eastus", "properties": {"friendlyName": "Two"}},
            ),
            Change(
                address=WS2 + "/sp",
                kind=Kind("Connection"),
                action=Action.CREATE,
                code=ReasonCode.PARENT_CREATED,
                reason="its workspace is being created",
                workspace=WS2,
                after={
                    "properties": {
                        "authType": "ServicePrincipal",
                        "credentials": {"clientSecret": "(sensitive: env SP_SECRET)"},
                    }
                },
                warnings=("secrets not compared (see notes)",),
            ),
        ),
        calls={"connection.list": 1, "workspace.list": 1},
        notes=("secrets were not compared: listsecrets was refused (AuthorizationFailed)",),
        manifest_digest="sha256:0123456789abcdef0123456789abcdef",
    )


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("json", "json"), ("markdown", "md")])
def test_renderer_matches_golden_file(fmt: str, suffix: str) -> None:
    got = render(sample_plan(), fmt)
    if fmt == "json":  # the tool version moves; pin the rest
        document = json.loads(got)
        document["tool"]["version"] = "X"
        got = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    path = GOLDEN / f"plan.{suffix}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


def test_json_output_is_valid_against_the_published_schema() -> None:
    document = json.loads(render(sample_plan(), "json"))
    assert not list(Draft202012Validator(load_schema("plan.schema.json")).iter_errors(document))


def test_colour_only_when_asked() -> None:
    assert "\x1b[" not in render(sample_plan(), "text")
    assert "\x1b[31m" in render(sample_plan(), "text", color=True)


def _workspaces(count: int, **change: object) -> Plan:
    """A plan of ``count`` workspaces, each with the same ``change``."""
    addresses = (
        f"Workspace/00000000-1111-2222-3333-444444444444/rg-1/workspace-{w:03d}"
        for w in range(count)
    )
    return Plan(
        tuple(
            Change(address=ws, kind=Kind("Workspace"), workspace=ws, **change)  # type: ignore[arg-type]
            for ws in addresses
        )
    )


def test_markdown_stays_under_the_github_comment_limit_and_says_so() -> None:
    text = render_markdown(
        _workspaces(
            400,
            action=Action.CREATE,
            code=ReasonCode.NOT_FOUND,
            reason="not found in Azure",
            after={"properties": {"description": "x" * 200}},
        )
    )
    assert len(text) <= 65_536
    assert "omitted to stay under GitHub's 65,536-character comment limit" in text
    assert text.startswith("### azureml-reconciler plan")


def test_colour_follows_the_terminal_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.commands.common import color as _color

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _color(Terminal()) is True
    assert _color(object()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert _color(Terminal()) is False


def test_markdown_stays_under_the_limit_with_many_replacements_and_says_so() -> None:
    """Every replacement's warning heads the comment: hundreds of them are bounded too."""
    text = render_markdown(
        _workspaces(
            400,
            action=Action.REPLACE_REQUIRED,
            code=ReasonCode.CREATE_ONLY,
            reason="properties.keyVault is create-only: replacement required. " + "x" * 200,
        )
    )
    assert len(text) <= 65_536
    assert "replacement warning(s) omitted" in text
    assert "omitted to stay under GitHub's 65,536-character comment limit" in text


def test_markdown_stays_under_the_limit_when_the_warnings_fill_it_and_a_graph_follows() -> None:
    """Warnings fill the room left for them, then a graph of up to 60 nodes follows: it is
    bounded as well (50 replacements with long reasons made 68,806 characters)."""
    changes = []
    for w in range(50):
        ws = f"Workspace/00000000-1111-2222-3333-444444444444/rg-1/workspace-{w:03d}-" + "n" * 20
        changes.append(
            Change(
                address=ws,
                kind=Kind("Workspace"),
                action=Action.REPLACE_REQUIRED,
                code=ReasonCode.CREATE_ONLY,
                reason="properties.keyVault is create-only: replacement required. " + "x" * 1400,
                workspace=ws,
            )
        )
    text = render_markdown(Plan(tuple(changes)))
    assert len(text) <= 65_536
    assert "replacement warning(s) omitted" in text


def test_markdown_stays_under_the_limit_when_the_notes_are_many_and_says_so() -> None:
    """The notes end the comment: 400 of them (or one naming thousands of --target values)
    are bounded as the warnings and the graph are, what does not fit counted."""
    many = _workspaces(
        3,
        action=Action.CREATE,
        code=ReasonCode.NOT_FOUND,
        reason="not found in Azure",
    )
    many = replace(many, notes=tuple(f"note {n}: " + "x" * 300 for n in range(400)))
    text = render_markdown(many)
    assert len(text) <= 65_536
    assert "note 0: " in text and "workspace-002" in text
    shown = sum(f"note {n}: " in text for n in range(400))
    assert f"{400 - shown} more note(s) omitted to stay under" in text, text[-600:]

    targets = ", ".join(f"'Workspace/sub/rg/workspace-{n:05d}'" for n in range(5_000))
    one = replace(many, notes=(f"This plan is cut to --target {targets}: what ...",))
    text = render_markdown(one)
    assert len(text) <= 65_536
    assert "This plan is cut to --target 'Workspace/sub/rg/workspace-00000'" in text
    assert "cut short to stay under" in text and "workspace-002" in text


def test_markdown_notes_under_a_limit_smaller_than_their_heading_end() -> None:
    """A limit too small for even one note's line (a quarter of it shorter than the heading
    and the cut marker) leaves the notes out, counted: cutting a note down looped forever,
    its line never shorter than a room below zero."""
    one = _workspaces(1, action=Action.CREATE, code=ReasonCode.NOT_FOUND, reason="not found")
    plan = replace(one, notes=("n",))
    text = render_markdown(plan, limit=200)
    assert "1 more note(s) omitted" in text
