"""Renderers are pinned by golden files: text, JSON and Markdown of one plan with every action.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 python -m pytest tests/render``
and review the diff like any other code change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.plan.model import Action, Change, FieldDiff, Plan
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
                WS,
                "Workspace",
                Action.REPLACE_REQUIRED,
                "properties.storageAccount is create-only: replacement required",
                WS,
                (
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
                WS + "/aoai",
                "Connection",
                Action.UPDATE,
                "(sensitive value changed)",
                WS,
                (
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
                WS + "/portal",
                "Connection",
                Action.UNMANAGED,
                "exists in Azure but is not declared; left alone",
                WS,
                fingerprint="sha256:cc",
            ),
            Change(
                WS + "/git",
                "Connection",
                Action.NO_OP,
                "matches the manifest",
                WS,
                fingerprint="sha256:dd",
            ),
            Change(
                WS2,
                "Workspace",
                Action.CREATE,
                "not found in Azure",
                WS2,
                after={"location": "eastus", "properties": {"friendlyName": "Two"}},
            ),
            Change(
                WS2 + "/sp",
                "Connection",
                Action.CREATE,
                "its workspace is being created",
                WS2,
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


def test_markdown_stays_under_the_github_comment_limit_and_says_so() -> None:
    changes = []
    for w in range(400):
        ws = f"Workspace/00000000-1111-2222-3333-444444444444/rg-1/workspace-{w:03d}"
        changes.append(
            Change(
                ws,
                "Workspace",
                Action.CREATE,
                "not found in Azure",
                ws,
                after={"properties": {"description": "x" * 200}},
            )
        )
    text = render_markdown(Plan(tuple(changes)))
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
