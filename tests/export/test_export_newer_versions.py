"""The default ``export`` writes each resource at its kind's default api-version where that
version expresses the live resource, else at the one that does (``metadata.apiVersion``): a
connection whose category only 2025-09-01 allows (``Pinecone``), a plain workspace with a
managed network, a feature store. What it writes validates, and a plan of it against the same
estate shows no changes; only what no api-version can express is named in the header. One extra
list per scope listed reads them again at that version, never a call per resource.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from reconciler.emulator.state import State
from tests.e2e.conftest import Azure
from tests.linked import LINKED_YAML

RG = "workspace-1234"
ESTATE = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: eastus}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: plain}}
spec: {{properties: {{{LINKED_YAML}, description: a plain workspace}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: vectors, workspace: plain, apiVersion: "2025-09-01"}}
spec: {{properties: {{category: Pinecone, authType: None, target: "https://pc.example"}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: team-git, workspace: plain}}
spec: {{properties: {{category: Git, authType: None, target: "https://git.example/team"}}}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: netted, apiVersion: "2025-09-01"}}
spec:
  properties: {{{LINKED_YAML}, managedNetwork: {{isolationMode: AllowOnlyApprovedOutbound}}}}
---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {{name: pypi, workspace: netted}}
spec: {{properties: {{type: FQDN, destination: pypi.org}}}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: features, apiVersion: "2025-09-01"}}
spec: {{kind: FeatureStore, properties: {{{LINKED_YAML}}}}}
"""


def _apply(azure: Azure, tmp_path: Path) -> None:
    file = tmp_path / "estate.yaml"
    file.write_text(ESTATE, encoding="utf-8")
    done = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert done.returncode == 0, done.stdout + done.stderr


def _export(azure: Azure, out: Path) -> None:
    done = azure.process(
        "export", "--endpoint", azure.url, "--subscription", DEFAULT_SUBSCRIPTION,
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _plans_no_changes(azure: Azure, out: Path) -> None:
    validated = azure.process("validate", str(out))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    plan = azure.process("plan", "--endpoint", azure.url, "--detailed-exitcode", str(out))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes" in plan.stdout, plan.stdout


def _documents(text: str) -> list[str]:
    return text.split("\n---\n")


def test_a_connection_whose_category_only_a_newer_version_allows_is_written_at_it(
    azure: Azure, tmp_path: Path
) -> None:
    _apply(azure, tmp_path)
    out = tmp_path / "out"
    azure.emulator.requests.clear()
    _export(azure, out)
    lists = {k: v for k, v in azure.emulator.requests.items() if "connection" in k.lower()}

    text = (out / RG / "plain.yaml").read_text(encoding="utf-8")
    (vectors,) = [d for d in _documents(text) if "name: vectors" in d]
    (git,) = [d for d in _documents(text) if "name: team-git" in d]
    assert "apiVersion: '2025-09-01'" in vectors and "category: Pinecone" in vectors, text
    assert "apiVersion: '2025" not in git, text
    assert "apiVersion: '2025" not in text.split("kind: Connection")[0], text  # the workspace
    assert "Not exported" not in text, text
    # A list per workspace at the default, one more where a connection needs 2025-09-01.
    assert sum(lists.values()) == 3 + 1, azure.emulator.requests
    _plans_no_changes(azure, out)


def test_a_workspace_with_a_managed_network_is_written_at_the_version_that_has_it(
    azure: Azure, tmp_path: Path
) -> None:
    _apply(azure, tmp_path)
    out = tmp_path / "out"
    azure.emulator.requests.clear()
    _export(azure, out)

    netted = (out / RG / "netted.yaml").read_text(encoding="utf-8")
    assert "Not exported" not in netted, netted
    (workspace,) = [d for d in _documents(netted) if "kind: Workspace" in d]
    assert "apiVersion: '2025-09-01'" in workspace, netted
    assert "isolationMode: AllowOnlyApprovedOutbound" in workspace, netted
    assert "kind: Default" not in workspace and "outboundRules" not in workspace, netted
    assert "name: pypi" in netted
    features = (out / RG / "features.yaml").read_text(encoding="utf-8")
    assert "kind: FeatureStore" in features and "apiVersion: '2025-09-01'" in features
    assert "Not exported" not in features, features
    plain = (out / RG / "plain.yaml").read_text(encoding="utf-8")
    assert "apiVersion: '2025" not in plain.split("kind: Connection")[0], plain
    # The subscription listed once at the default, once more at 2025-09-01.
    listed = {k: v for k, v in azure.emulator.requests.items() if "workspace" in k.lower()}
    assert sum(v for k, v in listed.items() if "list" in k.lower()) == 2, listed
    _plans_no_changes(azure, out)


def test_the_header_names_only_what_no_api_version_can_express(
    azure: Azure, tmp_path: Path
) -> None:
    _apply(azure, tmp_path)
    stored = azure.emulator.state.workspaces[State.ws_key(DEFAULT_SUBSCRIPTION, RG, "netted")]
    stored.body["properties"]["futureSetting"] = "on"  # set by an api-version yet to come
    out = tmp_path / "out"
    _export(azure, out)

    netted = (out / RG / "netted.yaml").read_text(encoding="utf-8")
    header = netted.split("\napiVersion:", 1)[0]
    assert "properties.futureSetting" in header, header
    assert "managedNetwork" not in header, header
    assert "isolationMode: AllowOnlyApprovedOutbound" in netted, netted
