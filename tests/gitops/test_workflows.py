"""The pipeline templates do what the README promises: OIDC, sticky plans, gated apply,
sharded drift — and never a client secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

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
    assert workflow["permissions"]["id-token"] == "write"
    logins = [s for s in _steps(workflow) if str(s.get("uses", "")).startswith("azure/login@")]
    assert logins and all("client-secret" not in s.get("with", {}) for s in logins)
    assert "AZURE_CLIENT_SECRET" not in text and "client-secret" not in text


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
    assert "conftest test --policy policy/ plan.json" in runs


def test_apply_on_main_uses_the_reviewed_plan_behind_an_environment() -> None:
    workflow = _load(GITHUB / "apply.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    job = workflow["jobs"]["apply"]
    assert job["environment"] == "production"
    assert "reconciler apply manifests/ --plan plan.json" in _runs(workflow)


def test_drift_runs_on_a_schedule_in_shards_and_manages_one_issue() -> None:
    workflow = _load(GITHUB / "drift.yml")
    assert workflow["on"]["schedule"]
    assert workflow["jobs"]["drift"]["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    runs = _runs(workflow)
    assert "--shard ${{ matrix.shard }}/4" in runs
    assert "gh issue create" in runs and "gh issue close" in runs and "gh issue edit" in runs


def test_azure_devops_pipeline_plans_and_applies_the_reviewed_plan() -> None:
    pipeline = _load(REPO / "examples" / "azure-devops" / "azure-pipelines.yml")
    text = (REPO / "examples" / "azure-devops" / "azure-pipelines.yml").read_text()
    assert [s["stage"] for s in pipeline["stages"]] == ["plan", "apply"]
    assert "--plan $(Pipeline.Workspace)/plan/plan.json" in text
    assert "client-secret" not in text.lower()
