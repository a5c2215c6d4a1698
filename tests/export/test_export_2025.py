"""``export --api-version 2025-09-01`` reads and writes every kind that has that version at it,
naming it in each document (``metadata.apiVersion``): a hub's kind and managed network, its
2025-09-01 connections and its outbound rules (the user's, never Azure's) round-trip to a
clean plan. The default export names 2025-09-01 only where the default cannot express a
resource (tests/export/test_export_hub_kinds.py, tests/export/test_export_newer_versions.py)."""

from __future__ import annotations

from pathlib import Path

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from tests.e2e.conftest import Azure
from tests.linked import LINKED_YAML

RG = "workspace-1234"
KEY_VAULT = f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/" + (
    "Microsoft.KeyVault/vaults/kv2"
)
MANIFEST = f"""apiVersion: reconciler/v1
kind: Defaults
spec:
  subscription: {DEFAULT_SUBSCRIPTION}
  resourceGroup: {RG}
  location: eastus
  apiVersions: {{Workspace: 2025-09-01, Connection: 2025-09-01}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: hub-x}}
spec:
  kind: Hub
  properties: {{{LINKED_YAML}, managedNetwork: {{isolationMode: AllowOnlyApprovedOutbound}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: pinecone, workspace: hub-x}}
spec: {{properties: {{category: Pinecone, authType: None, target: "https://pc.example"}}}}
---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {{name: pypi, workspace: hub-x}}
spec: {{properties: {{type: FQDN, destination: pypi.org}}}}
---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {{name: storage-tag, workspace: hub-x}}
spec:
  properties:
    type: ServiceTag
    destination: {{serviceTag: Storage, protocol: TCP, portRanges: "443", action: Allow}}
---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {{name: kv-endpoint, workspace: hub-x}}
spec:
  properties:
    type: PrivateEndpoint
    destination:
      serviceResourceId: {KEY_VAULT}
      subresourceTarget: vault
"""


def _export(azure: Azure, out: Path, *flags: str) -> str:
    done = azure.process(
        "export", "--endpoint", azure.url, "--subscription", DEFAULT_SUBSCRIPTION,
        "--out", str(out), *flags,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (file,) = sorted(out.rglob("*.yaml"))
    return file.read_text(encoding="utf-8")


def test_export_at_2025_09_01_round_trips_a_hub_its_connections_and_rules(
    azure: Azure, tmp_path: Path
) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(MANIFEST, encoding="utf-8")
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert applied.returncode == 0, applied.stdout + applied.stderr

    text = _export(azure, tmp_path / "out", "--api-version", "2025-09-01")
    assert text.count("apiVersion: '2025-09-01'") == 2, text  # the workspace, the connection
    assert "kind: Hub" in text and "isolationMode: AllowOnlyApprovedOutbound" in text
    assert "category: Pinecone" in text
    for rule in ("pypi", "storage-tag", "kv-endpoint"):
        assert f"name: {rule}" in text
    assert "__SYS" not in text and "outboundRules" not in text and "Required" not in text
    assert "provisionNetworkNow" not in text and "Not exported" not in text

    validated = azure.process("validate", str(tmp_path / "out"))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    clean = azure.process(
        "plan", "--endpoint", azure.url, "--detailed-exitcode", str(tmp_path / "out")
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_the_default_export_writes_what_the_default_cannot_express_at_2025_09_01(
    azure: Azure, tmp_path: Path
) -> None:
    """A hub's kind is fixed at creation and 2023-04-01 cannot write it, and 2024-04-01
    refuses the category Pinecone: the default export writes the hub and that connection at
    2025-09-01 (a hub re-created from a 2023-04-01 document would be a Default workspace; a
    Pinecone connection at 2024-04-01 would not validate), and a plan of it shows no
    changes."""
    file = tmp_path / "m.yaml"
    file.write_text(MANIFEST, encoding="utf-8")
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    text = _export(azure, tmp_path / "out")
    assert text.count("apiVersion: '2025-09-01'") == 2, text  # the hub, the connection
    assert "kind: Hub" in text and "isolationMode: AllowOnlyApprovedOutbound" in text
    assert "Not exported" not in text, text
    assert "name: pypi" in text and "category: Pinecone" in text

    validated = azure.process("validate", str(tmp_path / "out"))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    clean = azure.process(
        "plan", "--endpoint", azure.url, "--detailed-exitcode", str(tmp_path / "out")
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "No changes" in clean.stdout, clean.stdout


def test_an_api_version_no_kind_has_is_refused(azure: Azure, tmp_path: Path) -> None:
    done = azure.process(
        "export", "--endpoint", azure.url, "--subscription", DEFAULT_SUBSCRIPTION,
        "--out", str(tmp_path), "--api-version", "2099-01-01",
    )  # fmt: skip
    assert done.returncode == 1 and "--api-version 2099-01-01: no kind" in done.stderr
    assert "Traceback" not in done.stderr
