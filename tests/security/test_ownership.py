"""Ownership: --prune deletes only connections marked with this configuration's owner; another
team's connections in a shared workspace, hand-made ones, and ones a pull request tries to mark,
are left alone — and the plan says what it checked.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Azure
from tests.security.conftest import RG, SUB, connection_manifest, run_cli, workspace_manifest


def _team(root: Path, owner: str, *connections: str) -> Path:
    folder = root / owner
    folder.mkdir(exist_ok=True)
    (folder / "defaults.yaml").write_text(f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {SUB}, resourceGroup: {RG}, owner: {owner}}}
""")
    text = workspace_manifest("sharedws") + "".join(
        connection_manifest(name, "sharedws") for name in connections
    )
    (folder / "m.yaml").write_text(text)
    return folder


def test_prune_never_deletes_another_teams_connection(azure: Azure, tmp_path: Path) -> None:
    team_a = _team(tmp_path, "team-a", "a-conn", "a-old")
    team_b = _team(tmp_path, "team-b", "b-conn")
    for folder in (team_a, team_b):
        done = run_cli(
            "apply", "--endpoint", azure.url, "--auto-approve", folder.name, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
    _team(tmp_path, "team-a", "a-conn")  # a-old is no longer declared
    plans = {}
    for fmt in ("text", "markdown"):
        done = run_cli(
            "plan", "--endpoint", azure.url, "--prune", "--format", fmt, "team-a", cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
        plans[fmt] = done.stdout
    text = plans["text"]
    a_line = next(line for line in text.splitlines() if "/sharedws/a-old" in line)
    assert a_line.lstrip().startswith("- Connection/")
    assert "(delete: no longer declared, and marked managed-by: azureml-reconciler/team-a" in (
        a_line
    )
    b_line = next(line for line in text.splitlines() if "/sharedws/b-conn" in line)
    assert "(unmanaged:" in b_line
    assert "marked managed-by: azureml-reconciler/team-b, not azureml-reconciler/team-a" in b_line
    assert "--prune: only undeclared connections marked managed-by: azureml-reconciler/team-a" in (
        text
    )
    done = run_cli(
        "apply", "--endpoint", azure.url, "--prune", "--auto-approve", "team-a", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    remaining = {key[3] for key in azure.emulator.state.connections}
    assert remaining == {"a-conn", "b-conn"}


def test_a_manifest_cannot_set_the_ownership_marker(azure: Azure, tmp_path: Path) -> None:
    folder = _team(tmp_path, "team-a")
    (folder / "m.yaml").write_text(
        workspace_manifest("sharedws")
        + connection_manifest(
            "handmade",
            "sharedws",
            extra="    metadata: {managed-by: azureml-reconciler/team-a}\n",
        )
    )
    done = run_cli("validate", "team-a", cwd=tmp_path)
    assert done.returncode == 1
    assert "spec.properties.metadata.managed-by: is reserved" in done.stdout


def test_prune_needs_an_owner(azure: Azure, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(workspace_manifest())
    done = run_cli("plan", "--endpoint", azure.url, "--prune", "m.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert "--prune needs an owner" in done.stderr
    assert azure.emulator.stats()["total"] == 0
    done = run_cli(
        "plan", "--endpoint", azure.url, "--prune", "--owner", "team-z", "m.yaml", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr


def test_an_update_never_takes_over_another_teams_connection(azure: Azure, tmp_path: Path) -> None:
    """Declaring another team's connection with a different target must not rewrite its
    marker: that would make it this team's to prune later."""
    _team(tmp_path, "team-b", "shared-conn")
    done = run_cli("apply", "--endpoint", azure.url, "--auto-approve", "team-b", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    team_a = _team(tmp_path, "team-a")
    (team_a / "m.yaml").write_text(
        workspace_manifest("sharedws")
        + connection_manifest("shared-conn", "sharedws").replace(
            "https://contoso.openai.azure.com/", "https://team-a.openai.azure.com/"
        )
    )
    plan = run_cli("plan", "--endpoint", azure.url, "team-a", cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert "managed by another configuration (managed-by: azureml-reconciler/team-b)" in (
        plan.stdout
    )
    apply = run_cli("apply", "--endpoint", azure.url, "--auto-approve", "team-a", cwd=tmp_path)
    assert apply.returncode == 1
    assert "skipped" in apply.stderr and "managed by another configuration" in apply.stderr
    stored = next(
        r.body for k, r in azure.emulator.state.connections.items() if k[3] == "shared-conn"
    )
    assert stored["properties"]["metadata"]["managed-by"] == "azureml-reconciler/team-b"
    assert stored["properties"]["target"] == "https://contoso.openai.azure.com/"
