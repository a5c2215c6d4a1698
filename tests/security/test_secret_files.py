"""fromFile: a manifest can only send, as a secret, a regular file of its own repository (or of
a --secrets-dir the operator names), and learns nothing about files elsewhere on the runner.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.manifest import secretfile
from tests.e2e.conftest import Azure
from tests.security.conftest import (
    Completed,
    assert_no_canary,
    connection_manifest,
    run_cli,
    workspace_manifest,
)

OUTSIDE_CANARY = "canary-outside-the-repository-5f2a"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A checkout (…/repo with .git) and, next to it, a file the runner holds."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "manifests").mkdir()
    (tmp_path / "runner").mkdir()
    (tmp_path / "runner" / "token").write_text(OUTSIDE_CANARY + "\n")
    return tmp_path / "repo"


def _manifest(repo: Path, reference: str) -> None:
    credentials = f"    credentials: {{key: {{fromFile: '{reference}'}}}}\n"
    text = workspace_manifest() + connection_manifest("fileconn")
    text = text.replace("    credentials: {key: {fromEnv: AZURE_OPENAI_API_KEY}}\n", credentials)
    (repo / "manifests" / "m.yaml").write_text(text)


def _apply(azure: Azure, repo: Path, *extra: str, timeout: float = 120) -> Completed:
    return run_cli(
        "-vv",
        "apply",
        "--endpoint",
        azure.url,
        "--auto-approve",
        *extra,
        "manifests",
        cwd=repo,
        timeout=timeout,
    )


def _stored(azure: Azure) -> list[object]:
    return [c.credentials for c in azure.emulator.state.connections.values()]


@pytest.mark.parametrize(
    "reference",
    ["/proc/self/environ", "../../runner/token", "/dev/zero", "../../runner/absent"],
)
def test_a_file_outside_the_repository_is_refused_alike_whether_or_not_it_exists(
    azure: Azure, repo: Path, reference: str
) -> None:
    _manifest(repo, reference)
    done = _apply(azure, repo, timeout=30)
    assert done.returncode == 1
    assert (
        f"manifests/m.yaml:16:24: spec.properties.credentials.key: secret file {reference} is "
        "outside the manifests' repository" in done.stderr
    )
    assert "does not exist" not in done.stderr and str(repo.parent) not in done.stderr
    assert_no_canary(done.stdout, done.stderr)
    assert OUTSIDE_CANARY not in done.stdout + done.stderr
    assert _stored(azure) == []


GIT_TOKEN_CANARY = "canary-checkout-token-0c7d"


@pytest.mark.parametrize(
    "reference", ["../.git/config", "../.git/../.git/config", "../.GIT/config"]
)
def test_gits_own_files_are_no_secret_store(azure: Azure, repo: Path, reference: str) -> None:
    # actions/checkout (persist-credentials, its default) writes the job's token into
    # .git/config as an http.extraheader. Before: a pull request naming it as a connection's
    # secret sent the token, once applied, to a target of its choosing, as fromEnv naming
    # GITHUB_TOKEN cannot.
    (repo / ".git" / "config").write_text(
        f'[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic {GIT_TOKEN_CANARY}\n'
    )
    _manifest(repo, reference)
    done = _apply(azure, repo, timeout=30)
    assert done.returncode == 1
    assert f"secret file {reference} is in git's own directory (.git)" in done.stderr
    assert GIT_TOKEN_CANARY not in done.stdout + done.stderr
    assert _stored(azure) == []


def test_a_symlink_out_of_the_repository_is_refused(azure: Azure, repo: Path) -> None:
    (repo / "manifests" / "key").symlink_to(repo.parent / "runner" / "token")
    _manifest(repo, "key")
    done = _apply(azure, repo)
    assert done.returncode == 1 and "secret file key is outside" in done.stderr
    assert _stored(azure) == []


def test_a_fifo_or_device_in_the_repository_is_refused_without_hanging(
    azure: Azure, repo: Path
) -> None:
    os.mkfifo(repo / "manifests" / "key")
    _manifest(repo, "key")
    done = run_cli("validate", "manifests", cwd=repo, timeout=20)
    assert done.returncode == 1 and "secret file key cannot be read: not a regular file" in (
        done.stdout
    )


def test_a_large_file_is_refused_before_it_is_read(azure: Azure, repo: Path) -> None:
    (repo / "manifests" / "key").write_text("x" * (64 * 1024 + 1))
    _manifest(repo, "key")
    done = run_cli("validate", "manifests", cwd=repo)
    assert done.returncode == 1 and "secret file key is larger than 64 KiB" in done.stdout


def test_files_in_the_repository_and_a_secrets_dir_are_sent(azure: Azure, repo: Path) -> None:
    (repo / "secrets").mkdir()
    (repo / "secrets" / "key").write_text("in-repo-value\n")
    _manifest(repo, "../secrets/key")
    assert _apply(azure, repo).returncode == 0
    assert _stored(azure) == [{"key": "in-repo-value"}]
    _manifest(repo, "../../runner/token")
    done = _apply(azure, repo, "--secrets-dir", str(repo.parent / "runner"))
    assert done.returncode == 0, done.stderr
    assert _stored(azure) == [{"key": OUTSIDE_CANARY}]
    assert OUTSIDE_CANARY not in done.stdout + done.stderr


def test_a_file_saved_with_a_byte_order_mark_sends_the_secret_without_it(tmp_path: Path) -> None:
    """Notepad and PowerShell's ``Out-File -Encoding utf8`` start a file with one: sent, it
    would be a key nobody wrote."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "key").write_bytes("\ufeffs3cret-ü\r\n".encode())
    assert secretfile.read(tmp_path, "key") == ("s3cret-ü", None)


def test_gits_own_directory_is_refused_in_a_secrets_dir_too(tmp_path: Path) -> None:
    # A secrets repository checked out beside the manifests (actions/checkout, whose default
    # keeps the job's token in its .git/config) and named with --secrets-dir: only the
    # manifests' own repository's .git was refused, so `secrets/.git/config` was sent.
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    secrets = tmp_path / "secrets"
    (secrets / ".git").mkdir(parents=True)
    (secrets / ".git" / "config").write_text(f"extraheader = basic {GIT_TOKEN_CANARY}\n")
    (secrets / "key").write_text("a-real-secret\n")
    given = secretfile.SECRETS_DIRS.set((str(secrets),))
    try:
        assert secretfile.read(repo, "../secrets/key") == ("a-real-secret", None)
        value, why = secretfile.read(repo, "../secrets/.git/config")
    finally:
        secretfile.SECRETS_DIRS.reset(given)
    assert value is None and why is not None and "in git's own directory (.git)" in why
