"""--prune of the user's own outbound rules, end to end: the real CLI over loopback HTTP against
the emulator. A rule cannot carry the ownership marker, so it is owned through its workspace:
deleted only where this configuration (with an owner) declares the workspace's managed network
and at least one of its rules. Azure's own rules survive every prune."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from tests.e2e.conftest import Azure
from tests.linked import LINKED_YAML

RULES = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/workspace-1234/providers/"
    "Microsoft.MachineLearningServices/workspaces/hub-p/outboundRules"
)
HEAD = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: workspace-1234, location: eastus,
       owner: team-net}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: hub-p, apiVersion: 2025-09-01}}
spec:
  properties: {{{LINKED_YAML}{{network}}}}
"""
NETWORK = ", managedNetwork: {isolationMode: AllowOnlyApprovedOutbound}"


def _rule(name: str) -> str:
    return (
        f"apiVersion: reconciler/v1\nkind: OutboundRule\n"
        f"metadata: {{name: {name}, workspace: hub-p}}\n"
        f"spec: {{properties: {{type: FQDN, destination: {name}.example.com}}}}\n"
    )


def _write(file: Path, *rules: str, network: str = NETWORK) -> Path:
    file.write_text("---\n".join([HEAD.replace("{network}", network), *map(_rule, rules)]))
    return file


def _rules(azure: Azure) -> dict[str, str]:
    listed = httpx.get(
        f"{azure.url}{RULES}",
        params={"api-version": "2025-09-01"},
        headers={"Authorization": "Bearer t"},
    )
    assert listed.status_code == 200, listed.text
    return {r["name"]: r["properties"]["category"] for r in listed.json()["value"]}


def _codes(azure: Azure, file: Path, *flags: str) -> dict[str, tuple[str, str]]:
    done = azure.process("plan", "--endpoint", azure.url, "--format", "json", *flags, str(file))
    assert done.returncode == 0, done.stdout + done.stderr
    return {
        c["address"].rsplit("/", 1)[-1]: (c["action"], c["code"])
        for c in json.loads(done.stdout)["changes"]
    }


def test_prune_deletes_the_users_undeclared_rules_and_never_azures(
    azure: Azure, tmp_path: Path
) -> None:
    file = _write(tmp_path / "m.yaml", "keep", "drop")
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    azures = {n for n, category in _rules(azure).items() if category != "UserDefined"}
    assert azures

    _write(file, "keep")
    assert _codes(azure, file)["drop"] == ("unmanaged", "unmanaged_owned")
    codes = _codes(azure, file, "--prune")
    assert codes["drop"] == ("delete", "pruned")
    assert {codes[n] for n in azures} == {("unmanaged", "made_by_service")}

    pruned = azure.process("apply", "--endpoint", azure.url, "--auto-approve", "--prune", str(file))
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert "1 deleted" in pruned.stdout
    left = _rules(azure)
    assert "drop" not in left and "keep" in left and azures <= set(left)
    clean = azure.process(
        "plan", "--endpoint", azure.url, "--detailed-exitcode", "--prune", str(file)
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_prune_keeps_rules_where_the_network_is_not_declared_here(
    azure: Azure, tmp_path: Path
) -> None:
    file = _write(tmp_path / "m.yaml", "keep", "other")
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # Another configuration names the workspace and one rule, but not its managed network.
    other = _write(tmp_path / "other.yaml", "keep", network="")
    codes = _codes(azure, other, "--prune")
    assert codes["other"] == ("unmanaged", "unmanaged")
    kept = azure.process("apply", "--endpoint", azure.url, "--auto-approve", "--prune", str(other))
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "other" in _rules(azure)
