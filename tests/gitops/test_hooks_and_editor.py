"""pre-commit and editor support work on the examples as shipped."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "manifests" / "examples"


def test_the_pre_commit_hook_validates_the_manifests() -> None:
    (hook,) = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "reconciler-validate" and hook["language"] == "python"
    command = shlex.split(hook["entry"]) + hook["args"]
    assert command[0] == "reconciler"
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *command[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_example_document_is_valid_for_an_editor() -> None:
    """As yaml-language-server sees them: raw text, ${VAR} unexpanded, plain JSON Schema."""
    schema_path = REPO / "schemas" / "manifest.schema.json"
    validator = Draft202012Validator(YAML(typ="safe").load(schema_path.read_text()))
    count = 0
    for path in sorted(EXAMPLES.glob("*.yaml")):
        text = path.read_text()
        if path.name != "defaults.yaml":
            assert "# yaml-language-server: $schema=../../schemas/manifest.schema.json" in text
        for document in YAML(typ="safe").load_all(text):
            errors = [e.message for e in validator.iter_errors(document)]
            assert not errors, (path.name, errors)
            count += 1
    # the seed examples (6), hub.yaml (a hub, its project and their connection) and
    # managed-network.yaml (a workspace and its three rules)
    assert count == 13


def test_check_jsonschema_accepts_the_single_document_examples() -> None:
    files = [
        str(EXAMPLES / n) for n in ("defaults.yaml", "workspace.yaml", "playwright-tokens.yaml")
    ]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            str(REPO / "schemas" / "manifest.schema.json"),
            *files,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_jsonschema_catches_a_typo() -> None:
    bad = REPO / "tests/manifest/corpus/invalid/unknown-field-typo.yaml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            str(REPO / "schemas" / "manifest.schema.json"),
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
