"""Per-resource api-version end to end: the real CLI against the emulator over loopback.

A document written for 2025-09-01 is read, compared and written at that version (fields only it
defines round-trip, so a clean apply plans clean), beside documents of the default versions in
the same resource group and workspace; the JSON plan records the version of each that names one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from reconciler.schemas import load_schema
from tests.e2e.conftest import Azure
from tests.linked import KEY_VAULT, STORAGE_ACCOUNT

DEFAULTS = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: workspace-1234, location: eastus}}
"""
NEW = "\n  apiVersion: 2025-09-01"


def _workspace(name: str, version: str) -> str:
    network = "    managedNetwork: {isolationMode: AllowInternetOutbound}\n" if version else ""
    return (
        f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata:\n  name: {name}{version}\n"
        f"spec:\n  properties:\n    friendlyName: {name}\n"
        f"    keyVault: {KEY_VAULT}\n    storageAccount: {STORAGE_ACCOUNT}\n{network}"
    )


def _connection(name: str, workspace: str, version: str) -> str:
    # Pinecone is a category of 2025-09-01 only; Git is one of both versions.
    category = "Pinecone" if version else "Git"
    return (
        f"apiVersion: reconciler/v1\nkind: Connection\nmetadata:\n  name: {name}\n"
        f"  workspace: {workspace}{version}\n"
        f"spec:\n  properties: {{category: {category}, authType: None, "
        f"target: 'https://{name}.example'}}\n"
    )


def _manifests(tmp_path: Path) -> Path:
    documents = [
        DEFAULTS,
        # Three at 2025-09-01 (read by one list at that version), one at the default.
        *(_workspace(f"hub-{i}", NEW) for i in range(3)),
        _workspace("classic", ""),
        # Children of one workspace at both versions.
        _connection("pinecone", "hub-0", NEW),
        _connection("git-repo", "hub-0", ""),
    ]
    file = tmp_path / "m.yaml"
    file.write_text("---\n".join(documents), encoding="utf-8")
    return file


def test_documents_at_2025_09_01_apply_then_plan_clean_beside_default_ones(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _manifests(tmp_path)
    code, out, err = azure.cli(
        "apply", "--endpoint", azure.url, "--auto-approve", str(file), capsys=capsys
    )
    assert code == 0, out + err
    assert "6 created" in out
    plan_file = tmp_path / "plan.json"
    code, out, err = azure.cli(
        "plan",
        "--endpoint",
        azure.url,
        "--detailed-exitcode",
        "--out",
        str(plan_file),
        str(file),
        capsys=capsys,
    )
    assert code == 0, out + err
    assert "No changes" in out
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    assert not list(Draft202012Validator(load_schema("plan.schema.json")).iter_errors(document))
    changes = document["changes"]
    versions = {c["address"].rsplit("/", 1)[-1]: c.get("api_version") for c in changes}
    assert versions == {
        "hub-0": "2025-09-01",
        "hub-1": "2025-09-01",
        "hub-2": "2025-09-01",
        "classic": None,  # written for the default: the plan is as it always was
        "pinecone": "2025-09-01",
        "git-repo": None,
    }


def test_a_field_of_2025_09_01_changed_in_the_portal_is_drift(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _manifests(tmp_path)
    code, out, err = azure.cli(
        "apply", "--endpoint", azure.url, "--auto-approve", str(file), capsys=capsys
    )
    assert code == 0, out + err
    hub = (
        f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/workspace-1234/providers/"
        "Microsoft.MachineLearningServices/workspaces/hub-1"
    )
    network = {"isolationMode": "AllowOnlyApprovedOutbound"}
    assert azure.emulator.edit(hub, {"properties": {"managedNetwork": network}})
    code, out, _ = azure.cli("drift", "--endpoint", azure.url, str(file), capsys=capsys)
    assert code == 2
    assert "properties.managedNetwork.isolationMode" in out
    # Putting it back would loosen the network, which Azure refuses: a replacement, not an
    # update that would fail at apply (tests/e2e/test_managed_network.py).
    assert "1 replacement required" in out and "5 unchanged" in out
    assert "which Azure refuses" in out
