"""Connections written for api-version 2025-09-01 end to end: the real CLI over loopback HTTP
against the emulator. Categories and auth types 2025-09-01 defines apply and then plan clean;
an update of a connection whose secret did not change sends its credentials by reference again
(a PUT at every version: see the README on why not PATCH), so the stored secret is never
wiped, and a rotated one is a change."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from tests.e2e.conftest import Azure
from tests.linked import LINKED_YAML

CX = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/workspace-1234/providers/"
    "Microsoft.MachineLearningServices/workspaces/cx-e2e/connections"
)
KEY = "canary-es-key-5e1f"


def _manifest(es_target: str) -> str:
    return f"""apiVersion: reconciler/v1
kind: Defaults
spec:
  subscription: {DEFAULT_SUBSCRIPTION}
  resourceGroup: workspace-1234
  location: eastus
  apiVersions: {{Workspace: 2025-09-01, Connection: 2025-09-01}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: cx-e2e}}
spec: {{properties: {{{LINKED_YAML}}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: pinecone, workspace: cx-e2e}}
spec: {{properties: {{category: Pinecone, authType: None, target: "https://pc.example"}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: elastic, workspace: cx-e2e}}
spec:
  properties:
    category: Elasticsearch
    authType: ApiKey
    target: {es_target}
    credentials: {{key: {{fromEnv: ES_KEY}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: endpoint, workspace: cx-e2e}}
spec:
  properties:
    category: ManagedOnlineEndpoint
    authType: AAD
    target: https://endpoint.example
"""


def _stored_key(azure: Azure) -> str:
    answer = httpx.post(
        f"{azure.url}{CX}/elastic/listsecrets",
        params={"api-version": "2025-09-01"},
        headers={"Authorization": "Bearer t"},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["properties"]["credentials"]["key"])


def test_2025_categories_apply_update_without_wiping_the_secret_and_plan_clean(
    azure: Azure, tmp_path: Path
) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(_manifest("https://es.example"), encoding="utf-8")
    env = {"ES_KEY": KEY}
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file), env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "4 created" in applied.stdout
    assert _stored_key(azure) == KEY

    file.write_text(_manifest("https://es2.example"), encoding="utf-8")
    planned = azure.process("plan", "--endpoint", azure.url, "--format", "json", str(file), env=env)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    changes = {c["address"].rsplit("/", 1)[-1]: c for c in json.loads(planned.stdout)["changes"]}
    assert (changes["elastic"]["action"], changes["elastic"]["code"]) == ("update", "fields_differ")
    assert changes["elastic"]["api_version"] == "2025-09-01"
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file), env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert _stored_key(azure) == KEY
    assert KEY not in applied.stdout + applied.stderr + planned.stdout

    clean = azure.process(
        "plan", "--endpoint", azure.url, "--detailed-exitcode", str(file), env=env
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    rotated = azure.process(
        "plan", "--endpoint", azure.url, "--format", "json", str(file), env={"ES_KEY": "new-key"}
    )
    codes = {
        c["address"].rsplit("/", 1)[-1]: c["code"] for c in json.loads(rotated.stdout)["changes"]
    }
    assert codes["elastic"] == "secret_rotated"
