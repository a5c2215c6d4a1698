"""A workspace's managed network end to end: the real CLI over loopback HTTP against the
emulator. Azure refuses to loosen an isolation mode, so the plan shows a loosening as the
replacement it needs and apply does not send it; ``provisionNetworkNow`` provisions the
network at create and never shows as a change after."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from tests.e2e.conftest import Azure
from tests.linked import LINKED_YAML

WS = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/workspace-1234/providers/"
    "Microsoft.MachineLearningServices/workspaces/net-e2e"
)


def _manifest(mode: str, extra: str = "") -> str:
    return f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: workspace-1234, location: eastus}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: net-e2e, apiVersion: 2025-09-01}}
spec:
  properties: {{{LINKED_YAML}, {extra}managedNetwork: {{isolationMode: {mode}}}}}
---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {{name: pypi, workspace: net-e2e}}
spec: {{properties: {{type: FQDN, destination: pypi.org}}}}
"""


def _get(azure: Azure, path: str = "") -> dict[str, object]:
    answer = httpx.get(
        f"{azure.url}{WS}{path}",
        params={"api-version": "2025-09-01"},
        headers={"Authorization": "Bearer t"},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _mode(azure: Azure) -> str:
    properties = _get(azure)["properties"]
    assert isinstance(properties, dict)
    return str(properties["managedNetwork"]["isolationMode"])


def test_loosening_the_isolation_mode_is_shown_as_refused_and_never_sent(
    azure: Azure, tmp_path: Path
) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(_manifest("AllowOnlyApprovedOutbound"), encoding="utf-8")
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert applied.returncode == 0, applied.stdout + applied.stderr

    file.write_text(_manifest("AllowInternetOutbound"), encoding="utf-8")
    planned = azure.process("plan", "--endpoint", azure.url, "--format", "json", str(file))
    assert planned.returncode == 0, planned.stdout + planned.stderr
    (workspace,) = [c for c in json.loads(planned.stdout)["changes"] if c["kind"] == "Workspace"]
    assert (workspace["action"], workspace["code"]) == ("replace-required", "refused_by_service")
    assert "from AllowOnlyApprovedOutbound to AllowInternetOutbound" in workspace["reason"]
    text = azure.process("plan", "--endpoint", azure.url, str(file))
    assert "which Azure refuses" in text.stdout, text.stdout + text.stderr

    refused = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert "--allow-replace" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    assert _mode(azure) == "AllowOnlyApprovedOutbound"


def test_tightening_the_isolation_mode_is_an_update_that_applies(
    azure: Azure, tmp_path: Path
) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(_manifest("AllowInternetOutbound"), encoding="utf-8")
    assert (
        azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file)).returncode == 0
    )
    file.write_text(_manifest("AllowOnlyApprovedOutbound"), encoding="utf-8")
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert _mode(azure) == "AllowOnlyApprovedOutbound"
    clean = azure.process("plan", "--endpoint", azure.url, "--detailed-exitcode", str(file))
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_provision_network_now_is_sent_on_create_and_never_a_change_after(
    azure: Azure, tmp_path: Path
) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(
        _manifest("AllowOnlyApprovedOutbound", extra="provisionNetworkNow: true, "),
        encoding="utf-8",
    )
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # Sent on create: the network was provisioned then, so its rules are Active.
    rules = _get(azure, "/outboundRules")["value"]
    assert isinstance(rules, list) and rules
    assert {r["properties"]["status"] for r in rules} == {"Active"}
    assert _get(azure)["properties"]["provisionNetworkNow"] is False  # type: ignore[index]
    clean = azure.process("plan", "--endpoint", azure.url, "--detailed-exitcode", str(file))
    assert clean.returncode == 0, clean.stdout + clean.stderr
