"""What plan and apply say they did: audits counted as audits, the same counts in both, and a
replacement reported as one — the sentences a person reads first after a run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.e2e.conftest import EXAMPLE_RESOURCES, EXAMPLES, Azure


def _examples(tmp_path: Path) -> Path:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    return copy


def _args(azure: Azure, manifests: Path) -> list[str]:
    return ["--endpoint", azure.url, "--env-file", str(manifests / "demo.env"), str(manifests)]


def test_on_an_empty_estate_the_audit_is_not_an_unchanged_resource(
    azure: Azure, tmp_path: Path
) -> None:
    manifests = _examples(tmp_path)
    planned = azure.process("plan", *_args(azure, manifests))
    assert planned.returncode == 0, planned.stderr
    first = planned.stdout.splitlines()[0]
    assert f"{EXAMPLE_RESOURCES} to create" in first and "0 unchanged" in first, first
    assert "1 Playwright audit(s): 0 to review" in first
    applied = azure.process("apply", "--auto-approve", *_args(azure, manifests))
    assert applied.returncode == 0, applied.stderr
    # The apply's own plan and its summary count the same resources.
    assert f"{EXAMPLE_RESOURCES} to create" in applied.stdout.splitlines()[0]
    summary = f"Apply: {EXAMPLE_RESOURCES} created, 0 updated, 0 replaced, 0 unchanged"
    assert summary in applied.stdout


def test_a_refused_replacement_says_so_once_and_leaves_unchanged_connections_unchanged(
    azure: Azure, tmp_path: Path
) -> None:
    manifests = _examples(tmp_path)
    assert azure.process("apply", "--auto-approve", *_args(azure, manifests)).returncode == 0
    workspace = manifests / "workspace.yaml"
    workspace.write_text(
        workspace.read_text().replace("vaults/testkv\n", "vaults/otherkv\n", 1), encoding="utf-8"
    )
    refused = azure.process("apply", "--auto-approve", *_args(azure, manifests))
    assert refused.returncode == 1
    skipped = [line for line in refused.stderr.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 1 and "testworkspace" in skipped[0], refused.stderr
    assert skipped[0].count("replacement required") == 1, skipped[0]
    assert "--allow-replace" in skipped[0]
    # Everything but the refused workspace is unchanged, its connections included.
    unchanged = EXAMPLE_RESOURCES - 1
    assert re.search(
        rf"Apply: 0 created, 0 updated, 0 replaced, {unchanged} unchanged, .* 1 skipped",
        refused.stdout,
    ), refused.stdout

    replaced = azure.process("apply", "--auto-approve", "--allow-replace", *_args(azure, manifests))
    assert replaced.returncode == 0, replaced.stderr
    summary = next(line for line in replaced.stdout.splitlines() if line.startswith("Apply:"))
    assert "1 replaced," in summary, summary
