"""Exported YAML reads as people write it: long map keys (ARM IDs) stay plain keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from reconciler.manifest.load import LoadOptions, load
from reconciler.manifest.model import Kind
from tests.e2e.conftest import EXAMPLES, Azure

IDENTITY = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/workspace-1234/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/testuai"
)


def test_user_assigned_identity_ids_are_written_as_plain_keys(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(IDENTITY) > 128  # past the length at which YAML emitters switch to "? key"
    code, _, err = azure.cli(
        "apply", "--endpoint", azure.url, "--auto-approve", str(EXAMPLES), capsys=capsys
    )
    assert code == 0, err
    out = tmp_path / "exported"
    code, _, err = azure.cli(
        "export",
        "--endpoint",
        azure.url,
        "--subscription",
        DEFAULT_SUBSCRIPTION,
        "--out",
        str(out),
        capsys=capsys,
    )
    assert code == 0, err
    (file,) = out.rglob("testworkspace.yaml")
    lines = file.read_text(encoding="utf-8").splitlines()
    assert not [line for line in lines if line.lstrip().startswith(("? ", ": "))]
    assert any(line.strip() == f"{IDENTITY}: {{}}" for line in lines)
    loaded = load([file], LoadOptions(check_secrets=False), env={})
    (workspace,) = loaded.manifests.of(Kind("Workspace"))
    assert IDENTITY in workspace.spec["identity"]["userAssignedIdentities"]
