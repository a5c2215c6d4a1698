"""export adopts what exists: its files validate, plan shows no changes, and secrets stay out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from reconciler.export import env_name
from tests.e2e.conftest import EXAMPLES, Azure

RG = "workspace-1234"
VARIETY: list[tuple[str, str, dict[str, Any] | None]] = [
    ("git-pat", "Git", {"pat": "v-pat"}),
    ("blob-sas", "AzureBlob", {"sas": "v-sas"}),
    ("blob-key", "AzureBlob", {"key": "v-account-key"}),
    ("search-api", "CognitiveSearch", {"key": "v-api-key"}),
    ("s3-access", "S3", {"accessKeyId": "v-akid", "secretAccessKey": "v-sak"}),
    ("lake-sp", "ADLSGen2", {"clientId": "v-cid", "clientSecret": "v-cs", "tenantId": "v-tid"}),
    ("sql-user", "AzureSqlDb", {"username": "v-user", "password": "v-pass"}),
    (
        "crm-oauth",
        "Salesforce",
        {"clientId": "11111111-2222-3333-4444-555555555555", "clientSecret": "v-oauth-secret"},
    ),
    ("acr-mi", "ContainerRegistry", {"resourceId": "/subscriptions/s/mi", "clientId": "v-mi"}),
    ("custom", "CustomKeys", {"keys": {"endpoint_key": "v-k1", "region_key": "v-k2"}}),
    ("feed-none", "PythonFeed", None),
    ("aoai-aad", "AzureOpenAI", None),
]
AUTH = {
    "git-pat": "PAT",
    "blob-sas": "SAS",
    "blob-key": "AccountKey",
    "search-api": "ApiKey",
    "s3-access": "AccessKey",
    "lake-sp": "ServicePrincipal",
    "sql-user": "UsernamePassword",
    "crm-oauth": "OAuth2",
    "acr-mi": "ManagedIdentity",
    "custom": "CustomKeys",
    "feed-none": "None",
    "aoai-aad": "AAD",
}
WS_PATH = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces/testworkspace"
)


def _populate(azure: Azure, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The examples' testworkspace and its connections, plus one connection of every auth
    type; returns env for the export."""
    code, _, err = azure.cli(
        "apply",
        "--endpoint",
        azure.url,
        "--auto-approve",
        "--target",
        "testworkspace",
        str(EXAMPLES),
        capsys=capsys,
    )
    assert code == 0, err
    env = {}
    with httpx.Client(base_url=azure.url, headers={"Authorization": "Bearer t"}) as client:
        for name, category, credentials in VARIETY:
            props: dict[str, Any] = {
                "authType": AUTH[name],
                "category": category,
                "target": f"https://{name}.example.com",
                "metadata": {"team": "ml"},
            }
            if credentials:
                props["credentials"] = credentials
            client.put(
                f"{WS_PATH}/connections/{name}",
                params={"api-version": "2024-04-01"},
                json={"properties": props},
            ).raise_for_status()
            for field, value in (credentials or {}).items():
                if isinstance(value, dict):
                    for key, inner in value.items():
                        env[env_name("testworkspace", name, key)] = inner
                else:
                    env[env_name("testworkspace", name, field)] = value
    env.update(
        {
            env_name("testworkspace", "aoai-prod", "key"): "canary-aoai-7f3e9b1c",
            env_name("testworkspace", "datalake-sp", "clientId"): "canary-client-id-55aa",
            env_name("testworkspace", "datalake-sp", "clientSecret"): "canary-client-secret-91d0",
            env_name("testworkspace", "datalake-sp", "tenantId"): "canary-tenant-id-3c3c",
        }
    )
    return env


def _export(azure: Azure, out: Path, capsys: pytest.CaptureFixture[str]) -> dict[Path, str]:
    code, stdout, err = azure.cli(
        "export",
        "--endpoint",
        azure.url,
        "--subscription",
        DEFAULT_SUBSCRIPTION,
        "--out",
        str(out),
        capsys=capsys,
    )
    assert code == 0, err
    assert "wrote" in stdout
    return {p: p.read_text() for p in sorted(out.rglob("*.yaml"))}


def test_export_round_trips_every_auth_type(
    azure: Azure,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = _populate(azure, capsys)
    files = _export(azure, tmp_path / "out", capsys)
    # The one workspace applied (--target), holding the connections.
    assert [p.relative_to(tmp_path / "out").as_posix() for p in files] == [
        f"{RG}/testworkspace.yaml"
    ]
    text = files[tmp_path / "out" / RG / "testworkspace.yaml"]
    for value in env.values():
        if value.startswith(("v-", "canary")):
            assert value not in text, "a secret value was exported"
    for name in env:
        assert f"#   {name}:" in text  # every variable to set is listed at the top
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, out, err = azure.cli("validate", str(tmp_path / "out"), capsys=capsys)
    assert code == 0, out + err
    code, out, err = azure.cli(
        "plan", "--endpoint", azure.url, "--detailed-exitcode", str(tmp_path / "out"), capsys=capsys
    )
    assert code == 0, out + err
    assert "No changes" in out


def test_a_dollar_brace_in_a_live_value_is_exported_as_the_literal_it_is(
    azure: Azure,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A value set in the portal may hold ``${`` (a shell snippet in a description, a tag).
    In a manifest ``${NAME}`` is a variable, so export writes ``$${`` for it: the file
    validates without variables it never meant, and plan shows no changes (nothing read from
    ``--var`` or an env file lands in Azure)."""
    env = _populate(azure, capsys)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    odd = {"description": "run ${HOME}/train.sh", "friendlyName": "costs $${X} and $5"}
    azure.emulator.edit(WS_PATH, {"tags": {"cmd": "${PATH}"}, "properties": odd})
    out = tmp_path / "out"
    _export(azure, out, capsys)
    code, text, err = azure.cli("validate", str(out), capsys=capsys)
    assert code == 0, text + err
    args = ("--endpoint", azure.url, "--var", "HOME=/root", "--var", "PATH=/bin", "--var", "X=1")
    code, text, err = azure.cli("plan", *args, "--detailed-exitcode", str(out), capsys=capsys)
    assert code == 0, text + err


def test_re_export_of_unchanged_resources_is_identical(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _populate(azure, capsys)
    first = _export(azure, tmp_path / "a", capsys)
    second = _export(azure, tmp_path / "b", capsys)
    assert list(first.values()) == list(second.values())


def test_exported_files_are_tidy(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _populate(azure, capsys)
    text = _export(azure, tmp_path, capsys)[tmp_path / RG / "testworkspace.yaml"]
    for server_field in (
        "provisioningState",
        "workspaceId",
        "systemData",
        "createdByWorkspace",
        "group:",
        "managed-by",
        "hbiWorkspace: false",
        "mlFlowTrackingUri",
        "notebookInfo",
        "principalId",
        "sharedUserList: []",
        "{}\n    tags",
    ):
        assert server_field not in text, server_field
    assert "key: {fromEnv: TESTWORKSPACE_AOAI_PROD_KEY}" in text
    assert "endpoint_key: {fromEnv: TESTWORKSPACE_CUSTOM_ENDPOINT_KEY}" in text


def test_filters_and_nothing_to_export(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _populate(azure, capsys)
    code, _, err = azure.cli(
        "export",
        "--endpoint",
        azure.url,
        "--subscription",
        DEFAULT_SUBSCRIPTION,
        "--resource-group",
        RG,
        "--workspace",
        "nope",
        "--out",
        str(tmp_path),
        capsys=capsys,
    )
    assert code == 1 and "nothing to export" in err
