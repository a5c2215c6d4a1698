"""The token APIs end to end: notebook access tokens and the Playwright access-token audit."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.arm.connect import Target
from reconciler.manifest.load import load
from reconciler.manifest.model import ManifestSet
from reconciler.plan.model import Action, Plan, ReasonCode
from reconciler.plan.planner import Options
from reconciler.session import make_plan
from tests.e2e.conftest import EXAMPLES, Azure

ACCOUNT = "eastus_0000aaaa-0000-0000-0000-00000000beef"
JWT_CANARY = "eyJcanary-jwt-value"
WS_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/workspace-1234/"
    "providers/Microsoft.MachineLearningServices/workspaces/testworkspace"
)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _seed(azure: Azure, now: datetime) -> None:
    tokens = [
        {
            "id": f"00000000-0000-0000-0000-{i:012d}",
            "name": f"filler{i:02d}",
            "createdAt": _stamp(now - timedelta(days=30)),
            "expiryAt": _stamp(now + timedelta(days=200)),
            "state": "Active",
            "jwtToken": JWT_CANARY,
        }
        for i in range(22)
    ]
    tokens += [
        {
            "id": "10000000-0000-0000-0000-000000000001",
            "name": "ciToken",
            "createdAt": _stamp(now - timedelta(days=80)),
            "expiryAt": _stamp(now + timedelta(days=5)),
            "state": "Active",
            "jwtToken": JWT_CANARY,
        },
        {
            "id": "10000000-0000-0000-0000-000000000002",
            "name": "nightlyToken",
            "createdAt": _stamp(now - timedelta(days=400)),
            "expiryAt": _stamp(now - timedelta(days=35)),
            "state": "Expired",
            "jwtToken": JWT_CANARY,
        },
        {
            "id": "10000000-0000-0000-0000-000000000003",
            "name": "healthyToken",
            "createdAt": _stamp(now - timedelta(days=1)),
            "expiryAt": _stamp(now + timedelta(days=99)),
            "state": "Active",
            "jwtToken": JWT_CANARY,
        },
    ]
    azure.emulator.playwright.seed(ACCOUNT, tokens)


def _audit(tmp_path: Path, url: str, *, allow_unlisted: bool) -> Path:
    path = tmp_path / "audit.yaml"
    path.write_text(f"""apiVersion: reconciler/v1
kind: PlaywrightAccessTokens
metadata: {{name: e2e}}
spec:
  endpoint: {url}
  accountId: {ACCOUNT}
  requiredTokens: [{{name: ciToken}}, {{name: nightlyToken}}, {{name: healthyToken}},
                   {{name: missingToken}}]
  warnBeforeExpiryDays: 14
  allowUnlistedTokens: {str(allow_unlisted).lower()}
""")
    return path


def _planned_at_now(azure: Azure, manifests: ManifestSet) -> Plan:
    """The plan of ``manifests`` against the emulator, its audits judged at ``NOW``."""
    target = Target(azure.url)
    options = Options()
    return asyncio.run(
        make_plan(manifests, target, {}, options=options, now=NOW, playwright_endpoint=azure.url)
    )


def test_audit_findings_with_an_injected_clock(azure: Azure, tmp_path: Path) -> None:
    _seed(azure, NOW)
    manifests = load([_audit(tmp_path, azure.url, allow_unlisted=False)], env={}).manifests
    plan = _planned_at_now(azure, manifests)
    reasons = {c.address.rsplit("/", 1)[-1]: c.reason for c in plan.changes}
    codes = {c.address.rsplit("/", 1)[-1]: c.code for c in plan.changes}
    assert all(c.action is Action.READ for c in plan.changes)
    assert codes["ciToken"] is ReasonCode.TOKEN_EXPIRING
    assert codes["nightlyToken"] is ReasonCode.TOKEN_EXPIRED
    assert codes["missingToken"] is ReasonCode.TOKEN_MISSING
    assert list(codes.values()).count(ReasonCode.TOKEN_UNLISTED) == 22
    assert "expires on 2026-11-28 (in 5 day(s)" in reasons["ciToken"]
    assert "expired on 2026-10-19" in reasons["nightlyToken"]
    assert "does not exist" in reasons["missingToken"]
    assert "healthyToken" not in reasons
    assert sum("not listed" in r for r in reasons.values()) == 22
    assert plan.has_drift and not plan.has_changes
    assert plan.calls == {"playwright.accessTokens.list": 3}  # 25 tokens, pages of 10
    assert JWT_CANARY not in repr(plan)


def test_drift_exits_2_on_token_findings_and_never_prints_a_jwt(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(azure, datetime.now(UTC))
    audit = _audit(tmp_path, azure.url, allow_unlisted=True)
    for fmt in ("text", "json", "markdown"):
        code, out, err = azure.cli(
            "drift", "--endpoint", azure.url, "--format", fmt, str(audit), capsys=capsys
        )
        assert code == 2
        assert "missingToken" in out and JWT_CANARY not in out + err
    code, out, _ = azure.cli(
        "plan", "--endpoint", azure.url, "--detailed-exitcode", str(audit), capsys=capsys
    )
    assert code == 0  # findings are for people to act on; nothing for apply to change
    assert "3 to review" in out


def test_a_missing_account_is_a_finding(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = azure.cli(
        "drift",
        "--endpoint",
        azure.url,
        str(_audit(tmp_path, azure.url, allow_unlisted=True)),
        capsys=capsys,
    )
    assert code == 2
    assert "AccountNotFound" in out


def test_playwright_tokens_lists_every_page_without_jwts(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(azure, datetime.now(UTC))
    code, out, _ = azure.cli(
        "playwright-tokens",
        "--account",
        ACCOUNT,
        "--endpoint",
        azure.url,
        "--format",
        "json",
        capsys=capsys,
    )
    assert code == 0
    names = [t["name"] for t in json.loads(out)["tokens"]]
    assert len(names) == 25 and JWT_CANARY not in out
    code, out, _ = azure.cli(
        "playwright-tokens",
        "--account",
        ACCOUNT,
        "--endpoint",
        azure.url,
        "--filter",
        "state eq 'Expired' or name eq 'ciToken'",
        "--orderby",
        "name desc",
        capsys=capsys,
    )
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:3]] == ["nightlyToken", "ciToken"]


def test_playwright_errors_are_one_clear_line(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(azure, datetime.now(UTC))
    code, _, err = azure.cli(
        "playwright-tokens",
        "--account",
        ACCOUNT,
        "--endpoint",
        azure.url,
        "--filter",
        "name is silly",
        capsys=capsys,
    )
    assert code == 1
    assert err.startswith("error: InvalidQueryParameter: Invalid $filter clause")
    assert len(err.strip().splitlines()) == 1


def _apply(azure: Azure, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = azure.cli(
        "apply", "--endpoint", azure.url, "--auto-approve", str(EXAMPLES), capsys=capsys
    )
    assert code == 0, err


def test_notebook_token_is_redacted_unless_asked(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    _apply(azure, capsys)
    args = (
        "notebook-token",
        "--endpoint",
        azure.url,
        "--workspace",
        "TestWorkspace",
        str(EXAMPLES),
    )
    code, out, _ = azure.cli(*args, capsys=capsys)
    assert code == 0
    assert "nb-access-" not in out and "(redacted; --show-secrets to print)" in out
    assert "publicDns" in out and "expiresAt" in out
    code, out, _ = azure.cli(*args, "--format", "json", capsys=capsys)
    token = json.loads(out)
    assert token["accessToken"] is None and token["refreshToken"] is None
    assert token["redacted"] is True and token["tokenType"] == "Bearer"
    code, out, _ = azure.cli(*args, "--format", "json", "--show-secrets", capsys=capsys)
    token = json.loads(out)
    assert token["accessToken"].startswith("nb-access-") and token["tokenType"] == "Bearer"
    assert "redacted" not in token


def test_notebook_token_is_masked_first_in_github_actions(
    azure: Azure, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _apply(azure, capsys)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = azure.cli(
        "notebook-token",
        "--endpoint",
        azure.url,
        "--workspace",
        "testworkspace",
        "--show-secrets",
        str(EXAMPLES),
        capsys=capsys,
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("::add-mask::nb-access-")
    assert lines[1].startswith("::add-mask::nb-refresh-")
    secret = lines[0].removeprefix("::add-mask::")
    assert out.index(secret) == len("::add-mask::")  # first appearance is the mask command


def test_notebook_token_errors(azure: Azure, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("notebook-token", "--endpoint", azure.url, str(EXAMPLES))
    code, _, err = azure.cli(*args, "--workspace", "testworkspace", capsys=capsys)
    assert code == 1 and "does not exist in resource group 'workspace-1234'" in err
    code, _, err = azure.cli(*args, "--workspace", "nope", capsys=capsys)
    assert code == 1 and "no workspace named 'nope' in the manifests" in err
    _apply(azure, capsys)
    azure.emulator.edit(
        WS_ID,
        {
            "properties": {
                "notebookInfo": {
                    "notebookPreparationError": {
                        "errorMessage": "storage unreachable",
                        "statusCode": 500,
                    }
                }
            }
        },
    )
    code, _, err = azure.cli(*args, "--workspace", "testworkspace", capsys=capsys)
    assert code == 1
    assert "notebook of workspace 'testworkspace' is not ready" in err
    assert "storage unreachable" in err
    assert len(err.strip().splitlines()) == 1


def test_apply_shows_the_outputs_the_manifest_asks_for(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = azure.cli(
        "apply", "--endpoint", azure.url, "--auto-approve", str(EXAMPLES), capsys=capsys
    )
    assert code == 0
    block = out.split("Outputs of Workspace/", 1)[1]
    assert "notebookEndpoint: https://ml-testworkspace-" in block
    assert "mlFlowTrackingUri: azureml://" in block
    assert "nb-access-" not in out and "accessToken" not in out


def _shown_in_github_actions(azure: Azure, *extra: str) -> subprocess.CompletedProcess[str]:
    """``notebook-token --show-secrets`` as a process in a GitHub Actions job."""
    return azure.process(
        "notebook-token", "--endpoint", azure.url, "--workspace", "testworkspace", *extra,
        "--show-secrets", str(EXAMPLES), env={"GITHUB_ACTIONS": "true"},
    )  # fmt: skip


def test_in_github_actions_a_json_token_stays_json_and_is_masked_even_when_captured(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    # A job reads the token as `TOKEN=$(reconciler notebook-token … --format json
    # --show-secrets | jq -r .accessToken)`: stdout is captured, never seen by the runner.
    # Before: the `::add-mask::` lines went to stdout ahead of the JSON, so jq failed on them
    # and the runner never registered the mask (an `echo $TOKEN` later printed it unmasked).
    # The runner reads workflow commands from stderr too (and drains stderr first).
    _apply(azure, capsys)
    done = _shown_in_github_actions(azure, "--format", "json")
    assert done.returncode == 0, done.stderr
    token = json.loads(done.stdout)  # nothing but the JSON
    assert token["accessToken"].startswith("nb-access-")
    masks = [line for line in done.stderr.splitlines() if line.startswith("::add-mask::")]
    assert masks == [
        f"::add-mask::{token['accessToken']}",
        f"::add-mask::{token['refreshToken']}",
    ]


def test_in_github_actions_a_captured_text_token_is_masked_on_stderr_too(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    # `$(reconciler notebook-token … --show-secrets | awk …)` swallows stdout's mask lines.
    _apply(azure, capsys)
    done = _shown_in_github_actions(azure)
    assert done.returncode == 0, done.stderr
    access = done.stdout.splitlines()[0].removeprefix("::add-mask::")
    assert access.startswith("nb-access-")
    assert done.stderr.splitlines()[0] == f"::add-mask::{access}"


def test_outside_github_actions_no_mask_command_is_printed(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    _apply(azure, capsys)
    done = azure.process(
        "notebook-token",
        "--endpoint",
        azure.url,
        "--workspace",
        "testworkspace",
        "--format",
        "json",
        "--show-secrets",
        str(EXAMPLES),
        env={"GITHUB_ACTIONS": ""},
    )
    assert done.returncode == 0, done.stderr
    assert "::add-mask::" not in done.stdout + done.stderr
    assert json.loads(done.stdout)["accessToken"].startswith("nb-access-")


def test_playwright_token_times_with_an_offset_are_shown_in_utc(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the offset was dropped, not applied: 00:00-08:00 was shown as 00:00Z, eight
    # hours early, with the Z that says it is UTC.
    token = {
        "id": "1",
        "name": "ciToken",
        "createdAt": "2026-01-01T00:00:00+05:30",
        "expiryAt": "2027-01-01T00:00:00-08:00",
        "state": "Active",
    }
    azure.emulator.playwright.seed(ACCOUNT, [token])
    args = ("playwright-tokens", "--account", ACCOUNT, "--endpoint", azure.url)
    code, out, _ = azure.cli(*args, "--format", "json", capsys=capsys)
    assert code == 0
    (shown,) = json.loads(out)["tokens"]
    assert (shown["createdAt"], shown["expiryAt"]) == (
        "2025-12-31T18:30:00Z",
        "2027-01-01T08:00:00Z",
    )
    code, out, _ = azure.cli(*args, capsys=capsys)
    assert code == 0 and "2025-12-31T18:30:00Z  2027-01-01T08:00:00Z" in out


@pytest.mark.parametrize("renewed_first", [True, False])
def test_a_token_renewed_under_the_same_name_is_valid_whatever_the_listing_order(
    azure: Azure, tmp_path: Path, renewed_first: bool
) -> None:
    # Rotating a token is creating a new one of the same name and letting the old one expire.
    # Before: the audit kept whichever came last in the listing, so a listing that put the
    # expired one last reported the required token expired (drift exit 2, every night).
    def token(number: int, days: int, state: str) -> dict[str, str]:
        return {
            "id": f"20000000-0000-0000-0000-00000000000{number}",
            "name": "ciToken",
            "createdAt": _stamp(NOW - timedelta(days=400 - number * 300)),
            "expiryAt": _stamp(NOW + timedelta(days=days)),
            "state": state,
        }

    renewed, expired = token(2, 200, "Active"), token(1, -20, "Expired")
    azure.emulator.playwright.seed(
        ACCOUNT, [renewed, expired] if renewed_first else [expired, renewed]
    )
    audit = tmp_path / "audit.yaml"
    audit.write_text(f"""apiVersion: reconciler/v1
kind: PlaywrightAccessTokens
metadata: {{name: e2e}}
spec:
  endpoint: {azure.url}
  accountId: {ACCOUNT}
  requiredTokens: [{{name: ciToken}}]
  warnBeforeExpiryDays: 14
  allowUnlistedTokens: true
""")
    manifests = load([audit], env={}).manifests
    plan = _planned_at_now(azure, manifests)
    assert [(c.action, c.code) for c in plan.changes] == [(Action.NO_OP, ReasonCode.TOKENS_VALID)]
    assert not plan.has_drift
