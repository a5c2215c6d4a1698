"""Outbound rules end to end: the real CLI over loopback HTTP against the emulator, and the
API definition's own example body as a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from reconciler.manifest import schemacheck
from tests.e2e.conftest import Azure
from tests.linked import LINKED_YAML

EXAMPLE = (
    "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/"
    "2025-09-01/examples/ManagedNetwork/createOrUpdateRule.json"
)
MANIFEST = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: workspace-1234, location: eastus}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: hub-e2e, apiVersion: 2025-09-01}}
spec:
  kind: Hub
  properties: {{{LINKED_YAML}, managedNetwork: {{isolationMode: AllowOnlyApprovedOutbound}}}}
---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {{name: pypi, workspace: hub-e2e}}
spec: {{properties: {{type: FQDN, destination: pypi.org}}}}
---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {{name: frontdoor, workspace: hub-e2e}}
spec:
  properties:
    type: ServiceTag
    destination:
      {{serviceTag: AzureFrontDoor.Frontend, protocol: TCP, portRanges: "443", action: Allow}}
"""


def test_rules_apply_then_plan_clean_with_azures_own_rules_beside_them(
    azure: Azure, tmp_path: Path
) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(MANIFEST, encoding="utf-8")
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "3 created" in applied.stdout
    again = azure.process(
        "plan", "--endpoint", azure.url, "--detailed-exitcode", "--format", "json", str(file)
    )
    assert again.returncode == 0, again.stdout + again.stderr
    changes = json.loads(again.stdout)["changes"]
    made = [c for c in changes if c["code"] == "made_by_service"]
    assert made and all(c["kind"] == "OutboundRule" and c["action"] == "unmanaged" for c in made)


def test_the_definitions_example_body_is_a_valid_manifest_spec(specs_dir: Path) -> None:
    example = json.loads((specs_dir / EXAMPLE).read_text(encoding="utf-8"))
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "OutboundRule",
        "metadata": {"name": example["parameters"]["ruleName"], "workspace": "ws1"},
        "spec": example["parameters"]["body"],
    }
    assert schemacheck.check(document) == []
    document["metadata"]["apiVersion"] = "2023-04-01"
    assert [i.path for i in schemacheck.check(document)] == [("metadata", "apiVersion")]


@pytest.mark.parametrize("rule_type", ["FQDN", "PrivateEndpoint", "ServiceTag"])
def test_each_rule_type_is_a_branch_of_the_schema(rule_type: str) -> None:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "OutboundRule",
        "metadata": {"name": "rule1", "workspace": "ws1"},
        "spec": {"properties": {"type": rule_type, "destination": 42}},
    }
    (issue,) = schemacheck.check(document)
    assert issue.path == ("spec", "properties", "destination")
