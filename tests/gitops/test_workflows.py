"""The pipeline templates do what the README promises: OIDC, sticky plans, gated apply,
sharded drift — and never a client secret."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.e2e.conftest import Azure

REPO = Path(__file__).resolve().parents[2]
GITHUB = REPO / "examples" / "github-actions"


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _steps(workflow: Any) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


def _runs(workflow: Any) -> str:
    return "\n".join(str(s.get("run", "")) for s in _steps(workflow))


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml"])
def test_authentication_is_openid_connect_without_secrets(name: str) -> None:
    text = (GITHUB / name).read_text(encoding="utf-8")
    workflow = _load(GITHUB / name)
    assert workflow["permissions"] == {}, "no permission at the workflow level"
    for job in workflow["jobs"].values():
        logins = [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith("azure/")]
        if logins:
            assert job["permissions"]["id-token"] == "write"
            assert all("client-secret" not in s.get("with", {}) for s in logins)
        else:
            assert "id-token" not in job.get("permissions", {}), "no OIDC where no sign-in"
    assert "AZURE_CLIENT_SECRET" not in text and "client-secret" not in text


def _client_ids(workflow: Any) -> set[str]:
    return {
        str(s["with"]["client-id"])
        for s in _steps(workflow)
        if str(s.get("uses", "")).startswith("azure/login@")
    }


def test_the_pull_request_plan_is_read_only_and_holds_no_secret() -> None:
    text = (GITHUB / "plan.yml").read_text(encoding="utf-8")
    workflow = _load(GITHUB / "plan.yml")
    assert _client_ids(workflow) == {"${{ vars.AZURE_PLAN_CLIENT_ID }}"}
    assert "secrets." not in text
    assert "reconciler plan manifests/ --secrets skip" in _runs(workflow)
    assert "environment" not in workflow["jobs"]["plan"]


def test_only_the_protected_environment_signs_in_as_the_apply_identity() -> None:
    apply = _load(GITHUB / "apply.yml")
    assert _client_ids(apply) == {"${{ vars.AZURE_APPLY_CLIENT_ID }}"}
    assert apply["jobs"]["apply"]["environment"] == "production"
    for name in ("plan.yml", "drift.yml"):
        assert "AZURE_APPLY_CLIENT_ID" not in (GITHUB / name).read_text(encoding="utf-8")


def test_the_policy_comes_from_the_base_branch_and_conftest_is_checked() -> None:
    workflow = _load(GITHUB / "plan.yml")
    base = [
        s
        for s in _steps(workflow)
        if s.get("with", {}).get("ref") == "${{ github.event.pull_request.base.sha }}"
    ]
    assert base and base[0]["with"]["path"] == ".base"
    runs = _runs(workflow)
    assert "conftest test --policy .base/policy/ plan.json" in runs
    assert 'echo "${CONFTEST_SHA256}  conftest.tar.gz" | sha256sum --check' in runs
    assert re.fullmatch(r"[0-9a-f]{64}", workflow["env"]["CONFTEST_SHA256"])
    assert runs.index("sha256sum --check") < runs.index("tar xzf conftest.tar.gz")


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml"])
def test_the_tool_is_installed_from_a_pinned_commit_with_hashes(name: str) -> None:
    workflow = _load(GITHUB / name)
    assert re.fullmatch(r"[0-9a-f]{40}", workflow["env"]["RECONCILER_REF"])
    runs = _runs(workflow)
    assert "pip install --require-hashes -r .reconciler-tool/requirements/run.lock" in runs
    assert "pip install --no-deps ./.reconciler-tool" in runs
    assert "pip install azureml-reconciler" not in runs
    assert (REPO / "requirements" / "run.lock").is_file()


PINNED = re.compile(r"uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$", re.M)
USES = re.compile(r"^\s*(?:- )?uses:", re.M)


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml"])
def test_every_action_is_pinned_by_commit_with_its_release_named(name: str) -> None:
    for line in (GITHUB / name).read_text(encoding="utf-8").splitlines():
        if USES.match(line):
            assert PINNED.search(line), f"{name}: not pinned by SHA with a # vX.Y.Z: {line}"


ACTIONLINT = shutil.which("actionlint")


@pytest.mark.skipif(ACTIONLINT is None, reason="actionlint is installed with the test lock")
def test_the_pinned_releases_run_on_a_runtime_github_still_offers(tmp_path: Path) -> None:
    """actionlint cannot see which release a SHA is: lint a copy that names the tags instead,
    so a template pinned to an action on a removed runtime (node20) fails here first."""
    for name in ("plan.yml", "apply.yml", "drift.yml"):
        text = (GITHUB / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(PINNED.sub(r"uses: \1@\3", text.replace("\r", "")))
        assert "@v" in (tmp_path / name).read_text()
    done = subprocess.run(
        [str(ACTIONLINT), "-oneline", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(ACTIONLINT is None, reason="actionlint is installed with the test lock")
def test_actionlint_flags_a_template_on_a_removed_runtime(tmp_path: Path) -> None:
    old = (GITHUB / "plan.yml").read_text(encoding="utf-8")
    (tmp_path / "old.yml").write_text(PINNED.sub(r"uses: \1@v4", old, count=1))
    done = subprocess.run(
        [str(ACTIONLINT), "-oneline", str(tmp_path / "old.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0 and "node20" in done.stdout


def test_the_sticky_comment_is_found_by_author_and_posted_without_azure_access() -> None:
    workflow = _load(GITHUB / "plan.yml")
    job = workflow["jobs"]["comment"]
    assert job["permissions"] == {"pull-requests": "write"}
    script = next(s["with"]["script"] for s in job["steps"] if "github-script" in s["uses"])
    assert "github-actions[bot]" in script and "startsWith(marker)" in script


def test_pull_request_plan_posts_one_sticky_markdown_comment_and_keeps_the_json() -> None:
    workflow = _load(GITHUB / "plan.yml")
    assert "pull_request" in workflow["on"]
    runs = _runs(workflow)
    assert "reconciler validate manifests/" in runs
    assert "--format markdown --out plan.json" in runs
    script = next(
        s["with"]["script"] for s in _steps(workflow) if "github-script" in str(s.get("uses", ""))
    )
    assert "updateComment" in script and "azureml-reconciler-plan" in script
    assert "conftest test --policy .base/policy/ plan.json" in runs


def test_apply_on_main_uses_the_reviewed_plan_behind_an_environment() -> None:
    workflow = _load(GITHUB / "apply.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    job = workflow["jobs"]["apply"]
    assert job["environment"] == "production"
    assert "reconciler apply manifests/ --plan plan.json --secrets skip" in _runs(workflow)


def test_drift_runs_on_a_schedule_in_shards_and_manages_one_issue() -> None:
    workflow = _load(GITHUB / "drift.yml")
    assert workflow["on"]["schedule"]
    assert workflow["jobs"]["drift"]["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    runs = _runs(workflow)
    assert '--shard "$SHARD/4"' in runs
    assert "gh issue create" in runs and "gh issue close" in runs and "gh issue edit" in runs


def test_azure_devops_pipeline_plans_and_applies_the_reviewed_plan() -> None:
    path = REPO / "examples" / "azure-devops" / "azure-pipelines.yml"
    pipeline = _load(path)
    text = path.read_text(encoding="utf-8")
    assert [s["stage"] for s in pipeline["stages"]] == ["plan", "apply"]
    assert "--plan $(Pipeline.Workspace)/plan/plan.json" in text
    assert "client-secret" not in text.lower()


def test_azure_devops_plans_read_only_and_applies_with_its_own_connection() -> None:
    pipeline = _load(REPO / "examples" / "azure-devops" / "azure-pipelines.yml")
    plan, apply = pipeline["stages"]
    plan_steps = plan["jobs"][0]["steps"]
    apply_steps = apply["jobs"][0]["strategy"]["runOnce"]["deploy"]["steps"]

    def connections(steps: list[dict[str, Any]]) -> set[str]:
        return {s["inputs"]["azureSubscription"] for s in steps if "task" in s}

    assert connections(plan_steps) == {"ml-platform-plan-reader"}
    assert connections(apply_steps) == {"ml-platform-apply"}
    assert apply["jobs"][0]["environment"] == "production"
    assert all("env" not in s for s in plan_steps), "the pull-request plan holds no secret"
    assert any("--secrets skip" in s.get("inputs", {}).get("inlineScript", "") for s in plan_steps)
    scripts = "\n".join(str(s.get("script", "")) for s in plan_steps + apply_steps)
    assert "pip install --require-hashes -r .reconciler-tool/requirements/run.lock" in scripts


def test_the_templates_flow_a_secretless_reviewed_plan_applied_with_secrets(
    azure: Azure, tmp_path: Path
) -> None:
    """What plan.yml and apply.yml run: the pull request plans without any secret in its
    environment; the protected apply, which has them, applies exactly that plan."""
    from tests.e2e.conftest import CANARIES, EXAMPLES

    no_secrets = dict.fromkeys(CANARIES, "")
    plan = tmp_path / "plan.json"
    planned = azure.process(
        "plan",
        "--endpoint",
        azure.url,
        "--secrets",
        "skip",
        "--out",
        str(plan),
        str(EXAMPLES),
        env=no_secrets,
    )
    assert planned.returncode == 0, planned.stdout + planned.stderr
    for value in CANARIES.values():
        assert value not in plan.read_text(encoding="utf-8")
    applied = azure.process(
        "apply", "--endpoint", azure.url, "--plan", str(plan), "--secrets", "skip", str(EXAMPLES)
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "created" in applied.stdout


def test_apply_runs_mains_policy_over_the_plan_before_signing_in() -> None:
    """A pull request can edit its own plan workflow and drop the policy step; the apply job,
    on main and in the protected environment, is where the gate cannot be edited away."""
    workflow = _load(GITHUB / "apply.yml")
    steps = workflow["jobs"]["apply"]["steps"]
    runs = [str(s.get("run", "")) for s in steps]
    policy = next(i for i, r in enumerate(runs) if "conftest test --policy policy/ plan.json" in r)
    login = next(i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("azure/"))
    assert policy < login
    assert "sha256sum --check" in runs[policy]


def _report_script() -> str:
    workflow = _load(GITHUB / "drift.yml")
    (step,) = [s for s in workflow["jobs"]["report"]["steps"] if "run" in s]
    return str(step["run"])


@pytest.mark.skipif(shutil.which("jq") is None, reason="the report step runs jq (on the runner)")
def test_the_drift_issue_holds_the_shards_that_drifted_within_githubs_body_limit(
    tmp_path: Path,
) -> None:
    # Each shard's Markdown report stays under 65,536 characters, GitHub's limit for an issue
    # body as for a comment. Before: the report job concatenated all four, so two shards with
    # much drift made a body GitHub refuses: `gh issue create` failed and no issue was opened
    # or updated (the shards in sync were in it too).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(
        '#!/bin/bash\necho "$*" >> gh.log\n'
        'for a in "$@"; do [ "$prev" = --body-file ] && cp "$a" sent.md; prev=$a; done\n'
    )
    (bin_dir / "gh").chmod(0o755)
    big = "| `ws` Workspace | 🟡 update | fields differ ✅ |\n" * 1_300  # ~60,000 characters
    for shard, drifted in ((1, True), (2, False), (3, True), (4, False)):
        (tmp_path / f"drift-{shard}.json").write_text(f'{{"has_drift": {str(drifted).lower()}}}')
        (tmp_path / f"drift-{shard}.md").write_text(f"shard {shard}\n{big}", encoding="utf-8")
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "org/repo",
        "GITHUB_RUN_ID": "42",
    }
    done = subprocess.run(
        ["bash", "-e", "-c", _report_script()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # drift: a red run
    assert "issue create" in (tmp_path / "gh.log").read_text()
    body = (tmp_path / "sent.md").read_text(encoding="utf-8")
    assert len(body) <= 65_536
    assert "shard 1\n" in body and "shard 2\n" not in body and "shard 4\n" not in body
    assert body.startswith("**Cut to fit an issue**")
    assert "https://github.com/org/repo/actions/runs/42" in body
