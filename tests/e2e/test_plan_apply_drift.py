"""plan, apply and drift end to end: the real CLI over loopback HTTP against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reconciler.schemas import load_schema
from tests.e2e.conftest import CANARIES, EXAMPLE_RESOURCES, EXAMPLE_WORKSPACES, EXAMPLES, Azure
from tests.linked import LINKED_YAML

SUB, RG = "00000000-1111-2222-3333-444444444444", "workspace-1234"
WS_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/workspace-1234/"
    "providers/Microsoft.MachineLearningServices/workspaces/testworkspace"
)


def _apply(azure: Azure, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = azure.cli(
        "apply", "--endpoint", azure.url, "--auto-approve", str(EXAMPLES), capsys=capsys
    )
    assert code == 0, out + err
    assert f"{EXAMPLE_RESOURCES} created" in out


def test_plan_on_an_empty_emulator_shows_creates(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = azure.cli(
        "plan", "--endpoint", azure.url, "--detailed-exitcode", str(EXAMPLES), capsys=capsys
    )
    assert code == 2
    assert f"{EXAMPLE_RESOURCES} to create" in out
    assert "+ Workspace/00000000-1111-2222-3333-444444444444/workspace-1234/testworkspace" in out


def test_apply_then_plan_shows_no_changes_as_a_real_process(azure: Azure) -> None:
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(EXAMPLES))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = azure.process("plan", "--endpoint", azure.url, "--detailed-exitcode", str(EXAMPLES))
    assert again.returncode == 0, again.stdout
    assert "No changes" in again.stdout
    stats = azure.emulator.stats()
    # One PUT per resource, none on the second run.
    assert sum(stats["puts"].values()) == EXAMPLE_RESOURCES


def test_second_apply_writes_nothing(azure: Azure, capsys: pytest.CaptureFixture[str]) -> None:
    _apply(azure, capsys)
    before = dict(azure.emulator.stats()["puts"])
    code, out, _ = azure.cli(
        "apply", "--endpoint", azure.url, "--auto-approve", str(EXAMPLES), capsys=capsys
    )
    assert code == 0 and "No changes" in out
    assert azure.emulator.stats()["puts"] == before


def test_drift_reports_exactly_the_field_changed_in_the_portal(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    _apply(azure, capsys)
    assert azure.emulator.edit(WS_ID, {"properties": {"description": "edited in the portal"}})
    code, out, _ = azure.cli(
        "drift", "--endpoint", azure.url, "--format", "json", str(EXAMPLES), capsys=capsys
    )
    assert code == 2
    report = json.loads(out)
    assert report["command"] == "drift" and report["has_drift"]
    assert not list(Draft202012Validator(load_schema("plan.schema.json")).iter_errors(report))
    # Azure's own outbound rules are listed (unmanaged, made by the service), never drift.
    changed = [c for c in report["changes"] if c["action"] not in ("no-op", "unmanaged")]
    assert [(c["address"].rsplit("/", 1)[-1], c["action"]) for c in changed] == [
        ("testworkspace", "update")
    ]
    assert changed[0]["field_diffs"] == [
        {
            "path": "properties.description",
            "before": "edited in the portal",
            "after": "test description",
            "sensitive": False,
            "create_only": False,
        }
    ]


def test_drift_is_zero_when_in_sync(azure: Azure, capsys: pytest.CaptureFixture[str]) -> None:
    _apply(azure, capsys)
    code, out, _ = azure.cli("drift", "--endpoint", azure.url, str(EXAMPLES), capsys=capsys)
    assert code == 0, out


def test_a_rotated_secret_is_drift_without_showing_either_value(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    _apply(azure, capsys)
    azure.emulator.edit(
        WS_ID + "/connections/aoai-prod",
        {"properties": {"credentials": {"key": "canary-rotated-in-portal"}}},
    )
    for fmt in ("text", "json", "markdown"):
        code, out, err = azure.cli(
            "drift", "--endpoint", azure.url, "--format", fmt, str(EXAMPLES), capsys=capsys
        )
        assert code == 2
        assert "(sensitive value changed)" in out
        assert "canary-rotated-in-portal" not in out + err
        assert CANARIES["AZURE_OPENAI_API_KEY"] not in out + err


def test_a_legacy_value_secret_converges_and_its_rotation_is_drift(
    azure: Azure,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The legacy ``value`` is a secret like ``credentials`` (a reference, compared through
    listsecrets, which returns it beside them): applied, it shows no change; changed in the
    portal, it is drift — never a perpetual "(sensitive value changed)"."""
    monkeypatch.setenv("LEGACY_VALUE", "canary-legacy-value")
    (tmp_path / "legacy.yaml").write_text(f"""apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: legacy-ws, subscription: {SUB}, resourceGroup: {RG}}}
spec:
  location: westeurope
  properties: {{{LINKED_YAML}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: legacy-git, workspace: legacy-ws, subscription: {SUB}, resourceGroup: {RG}}}
spec:
  properties:
    category: Git
    target: https://github.com/contoso/models
    authType: PAT
    value: {{fromEnv: LEGACY_VALUE}}
    credentials: {{pat: {{fromEnv: LEGACY_VALUE}}}}
""")
    args = ("--endpoint", azure.url, str(tmp_path / "legacy.yaml"))
    code, out, err = azure.cli("apply", "--auto-approve", *args, capsys=capsys)
    assert code == 0, out + err
    code, out, err = azure.cli("plan", "--detailed-exitcode", *args, capsys=capsys)
    assert code == 0, out + err
    connection = WS_ID.replace("testworkspace", "legacy-ws") + "/connections/legacy-git"
    azure.emulator.edit(connection, {"properties": {"value": "canary-set-in-portal"}})
    code, out, err = azure.cli("drift", *args, capsys=capsys)
    assert code == 2, out + err
    assert "properties.value: (sensitive value changed)" in out
    assert "properties.credentials.pat" not in out
    assert "canary-set-in-portal" not in out + err and "canary-legacy-value" not in out + err


def test_unreadable_secrets_are_a_note_not_a_failure(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    _apply(azure, capsys)
    azure.emulator.knobs.listsecrets_forbidden = True
    code, out, _ = azure.cli(
        "plan", "--endpoint", azure.url, "--detailed-exitcode", str(EXAMPLES), capsys=capsys
    )
    assert code == 0
    assert "listsecrets was refused (AuthorizationFailed)" in out


def test_json_plan_and_saved_plan_validate_against_the_published_schema(
    azure: Azure, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    code, out, _ = azure.cli(
        "plan",
        "--endpoint",
        azure.url,
        "--format",
        "json",
        "--out",
        str(saved),
        str(EXAMPLES),
        capsys=capsys,
    )
    assert code == 0
    validator = Draft202012Validator(load_schema("plan.schema.json"))
    for document in (json.loads(out), json.loads(saved.read_text())):
        assert not list(validator.iter_errors(document))
        assert document["summary"]["create"] == EXAMPLE_RESOURCES
        # Nothing exists yet: every workspace is confirmed absent by its own GET (a list can
        # lag), and the three at 2025-09-01 in one resource group are listed first.
        assert document["calls"]["by_kind"] == {
            "workspace.list": 1,
            "workspace.get": EXAMPLE_WORKSPACES,
            "playwright.accessTokens.list": 1,
        }


def test_reading_costs_calls_per_workspace_not_per_resource(
    azure: Azure, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    docs = [
        "apiVersion: reconciler/v1\nkind: Defaults\nspec: {subscription: "
        "00000000-1111-2222-3333-444444444444, resourceGroup: workspace-1234, "
        "location: eastus}\n"
    ]
    for w in range(6):
        docs.append(
            f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: ws{w}}}\n"
            f"spec: {{properties: {{{LINKED_YAML}}}}}\n"
        )
        for c in range(4):
            docs.append(
                f"apiVersion: reconciler/v1\nkind: Connection\nmetadata: {{name: "
                f"c{c}x, workspace: ws{w}}}\nspec: {{properties: {{authType: None, "
                "category: Git}}\n"
            )
    (tmp_path / "m.yaml").write_text("---\n".join(docs))
    code, _, err = azure.cli(
        "apply", "--endpoint", azure.url, "--auto-approve", str(tmp_path), capsys=capsys
    )
    assert code == 0, err
    code, out, _ = azure.cli(
        "plan", "--endpoint", azure.url, "--format", "json", str(tmp_path), capsys=capsys
    )
    report = json.loads(out)
    assert report["summary"]["no-op"] == 6 + 24
    # 1 list of workspaces for the resource group + 1 list of connections per workspace.
    assert report["calls"] == {"total": 7, "by_kind": {"connection.list": 6, "workspace.list": 1}}


def test_target_limits_the_plan(azure: Azure, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = azure.cli(
        "plan",
        "--endpoint",
        azure.url,
        "--format",
        "json",
        "--target",
        "testworkspace/aoai-prod",
        str(EXAMPLES),
        capsys=capsys,
    )
    assert code == 0
    addresses = [c["address"] for c in json.loads(out)["changes"]]
    assert [a.rsplit("/", 1)[-1] for a in addresses] == ["aoai-prod"]


def test_a_targeted_plan_says_so_in_every_format(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reviewer must not read a slice as the whole: the rest is left out, not unchanged."""
    said = "This plan is cut to --target 'testworkspace/aoai-prod': what the manifests declare"
    for fmt in ("text", "markdown", "json"):
        code, out, _ = azure.cli(
            "plan", "--endpoint", azure.url, "--format", fmt, "--target",
            "testworkspace/aoai-prod", str(EXAMPLES), capsys=capsys,
        )  # fmt: skip
        assert code == 0 and said in out, (fmt, out)
