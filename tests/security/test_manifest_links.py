"""A manifest directory may hold symbolic links, but a pull request cannot use one to make the
reconciler read a file outside the repository as a manifest: its values would be echoed in
validate's messages (a value that fails a pattern is quoted) and, worse, planned and applied.
A link found under a named directory is read only when it resolves inside the manifests'
repository; a file named on the command line is the operator's choice and is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.conftest import run_cli

OUTSIDE = "canary-outside-manifest-91c3"
# A YAML file on the runner whose values fail the manifest schema's patterns.
RUNNER_FILE = (
    "apiVersion: reconciler/v1\nkind: Workspace\n"
    f"metadata: {{name: '{OUTSIDE}/x', subscription: '{OUTSIDE}', resourceGroup: rg}}\n"
    "spec: {location: eastus}\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "manifests" / "shared").mkdir(parents=True)
    (tmp_path / "runner").mkdir()
    (tmp_path / "runner" / "config.yaml").write_text(RUNNER_FILE)
    return tmp_path / "repo"


def test_a_link_out_of_the_repository_is_not_read_and_says_so(repo: Path) -> None:
    (repo / "manifests" / "leak.yaml").symlink_to(repo.parent / "runner" / "config.yaml")
    done = run_cli("validate", "manifests", cwd=repo, timeout=30)
    assert done.returncode == 1
    assert OUTSIDE not in done.stdout + done.stderr
    assert str(repo.parent / "runner") not in done.stdout + done.stderr
    assert "manifests/leak.yaml: a symbolic link out of the manifests' repository" in done.stdout


def test_a_link_inside_the_repository_is_read(repo: Path) -> None:
    (repo / "manifests" / "shared" / "ws.yaml").write_text(
        RUNNER_FILE.replace(f"'{OUTSIDE}/x'", "ws1").replace(f"'{OUTSIDE}'", "'bad'")
    )
    (repo / "manifests" / "team").mkdir()
    (repo / "manifests" / "team" / "ws.yaml").symlink_to(repo / "manifests" / "shared" / "ws.yaml")
    done = run_cli("validate", "manifests/team", cwd=repo, timeout=30)
    assert done.returncode == 1 and "metadata.subscription: 'bad'" in done.stdout
