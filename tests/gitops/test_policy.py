"""The example policy, evaluated over real JSON plans as conftest would (package main, deny)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import regopy

from tests.e2e.conftest import Azure

REPO = Path(__file__).resolve().parents[2]
SUB = "00000000-1111-2222-3333-444444444444"


def _evaluate(plan: dict[str, Any], rule: str) -> list[str]:
    rego = regopy.Interpreter()
    rego.add_module("plan", (REPO / "policy" / "plan.rego").read_text())
    rego.set_input(regopy.Input(plan))
    output = rego.query(f"data.main.{rule}")
    return sorted(str(v) for v in output.results[0].expressions[0])


CREDENTIALS = {
    "ApiKey": "{key: {fromEnv: AZURE_OPENAI_API_KEY}}",
    "CustomKeys": "{keys: {x-api-key: {fromEnv: AZURE_OPENAI_API_KEY}}}",
    "PAT": "{pat: {fromEnv: AZURE_OPENAI_API_KEY}}",
    "None": "null",
}


def _plan(
    azure: Azure,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    network: str | None,
    target: str,
    auth: str = "ApiKey",
) -> dict[str, Any]:
    credentials = "" if auth == "None" else f"\n    credentials: {CREDENTIALS[auth]}"
    (tmp_path / "m.yaml").write_text(f"""apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: policyws, subscription: {SUB}, resourceGroup: workspace-1234}}
spec:
  location: westeurope
  properties: {{{"" if network is None else "publicNetworkAccess: " + network}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: llm, workspace: policyws, subscription: {SUB}, resourceGroup: workspace-1234}}
spec:
  properties:
    authType: {auth}
    category: ApiKey
    target: {json.dumps(target)}{credentials}
""")
    code, out, err = azure.cli(
        "plan", "--endpoint", azure.url, "--format", "json", str(tmp_path), capsys=capsys
    )
    assert code == 0, err
    return dict(json.loads(out))


def test_policy_denies_public_workspaces_and_keys_sent_outside_azure(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(azure, tmp_path, capsys, network="Enabled", target="https://api.openai.com/v1")
    assert _evaluate(plan, "deny") == [
        f"Connection/{SUB}/workspace-1234/policyws/llm: ApiKey connections may only target "
        "Azure services, not api.openai.com",
        f"Workspace/{SUB}/workspace-1234/policyws: publicNetworkAccess must be Disabled",
    ]


def test_policy_passes_a_compliant_plan(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(
        azure, tmp_path, capsys, network="Disabled", target="https://contoso.openai.azure.com/"
    )
    assert _evaluate(plan, "deny") == []


BYPASSES = [
    "https://attacker.example#.openai.azure.com",
    "https://attacker.example?x=.azure.com",
    "https://attacker.example\\.openai.azure.com",
    "https://contoso.openai.azure.com@attacker.example/",
    "attacker.example/.openai.azure.com",
    "http://contoso.openai.azure.com/",
    "https://contoso.openai.azure.com.attacker.example/",
    "https://evilazure.com/",
    "https://contoso.openai.azure.com./",
    # Azure domains where anyone runs a server of their own (found in review)
    "https://attacker.westeurope.cloudapp.azure.com/",
    "https://attacker.azurewebsites.net/",
    "https://attacker.azure-api.net/",
]


@pytest.mark.parametrize("target", BYPASSES)
def test_policy_parses_the_target_host(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    plan = _plan(azure, tmp_path, capsys, network="Disabled", target=target)
    (denied,) = _evaluate(plan, "deny")
    assert denied.startswith(f"Connection/{SUB}/workspace-1234/policyws/llm: ApiKey connections")


@pytest.mark.parametrize("auth", ["CustomKeys", "PAT"])
def test_policy_covers_every_auth_type_that_sends_a_credential(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str], auth: str
) -> None:
    plan = _plan(
        azure, tmp_path, capsys, network="Disabled", target="https://attacker.example/", auth=auth
    )
    assert _evaluate(plan, "deny") == [
        f"Connection/{SUB}/workspace-1234/policyws/llm: {auth} connections may only target "
        "Azure services, not attacker.example"
    ]


def test_policy_lets_a_credential_free_connection_target_anything(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(
        azure, tmp_path, capsys, network="Disabled", target="https://github.com/x", auth="None"
    )
    assert _evaluate(plan, "deny") == []


def test_policy_denies_a_new_workspace_that_leaves_public_access_to_azures_default(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(azure, tmp_path, capsys, network=None, target="https://contoso.openai.azure.com/")
    assert _evaluate(plan, "deny") == [
        f"Workspace/{SUB}/workspace-1234/policyws: publicNetworkAccess must be Disabled "
        "(Azure's default is Enabled)"
    ]
