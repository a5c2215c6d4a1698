"""Variables and secrets: a manifest cannot read the job's environment into the plan, and no
value it substitutes or holds as a secret is printed — in any format, log level or file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifest.secrets import SecretRef, read_ref
from tests.e2e.conftest import Azure
from tests.security.conftest import (
    RG,
    SUB,
    Completed,
    assert_no_canary,
    connection_manifest,
    run_cli,
    workspace_manifest,
)

FORMATS = ("text", "json", "markdown")


def _every_output(azure: Azure, tmp_path: Path, *args: str) -> list[Completed]:
    """validate, then plan in every format with debug logs and a saved plan; apply -vv."""
    runs = [run_cli("-vv", "validate", *args, cwd=tmp_path)]
    for fmt in FORMATS:
        runs.append(
            run_cli(
                "-vv",
                "plan",
                "--endpoint",
                azure.url,
                "--format",
                fmt,
                "--out",
                f"plan-{fmt}.json",
                *args,
                cwd=tmp_path,
            )
        )
    runs.append(
        run_cli("-vv", "apply", "--endpoint", azure.url, "--auto-approve", *args, cwd=tmp_path)
    )
    return runs


def _written(tmp_path: Path) -> list[str]:
    return [p.read_text() for p in tmp_path.rglob("*") if p.is_file() and p.suffix == ".json"]


def test_a_manifest_cannot_read_the_job_environment_into_the_plan(
    azure: Azure, tmp_path: Path
) -> None:
    (tmp_path / "ws.yaml").write_text(
        workspace_manifest(extra="  tags: {x: '${AZURE_OPENAI_API_KEY}'}\n")
    )
    runs = _every_output(azure, tmp_path, "ws.yaml")
    for done in runs:
        assert done.returncode == 1
        assert (
            "spec.tags.x: variable AZURE_OPENAI_API_KEY is not given" in done.stdout + done.stderr
        )
        assert_no_canary(done.stdout, done.stderr)
    assert_no_canary(*_written(tmp_path))
    assert azure.emulator.stats()["total"] == 0


def test_variables_come_only_from_what_the_operator_gives(azure: Azure, tmp_path: Path) -> None:
    (tmp_path / "ws.yaml").write_text(workspace_manifest(extra="  tags: {env: '${ENVIRONMENT}'}\n"))
    (tmp_path / "ci.env").write_text("ENVIRONMENT=from-file\n")
    given = {
        "--var": (["--var", "ENVIRONMENT=from-var"], {}, "from-var"),
        "--env-file": (["--env-file", "ci.env"], {}, "from-file"),
        "prefix": ([], {"RECONCILER_VAR_ENVIRONMENT": "from-env"}, "from-env"),
        "--var wins": (["--env-file", "ci.env", "--var", "ENVIRONMENT=v"], {}, '"v"'),
    }
    for args, env, shown in given.values():
        done = run_cli("plan", "--endpoint", azure.url, *args, "ws.yaml", cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        assert shown in done.stdout
    plain = run_cli(
        "plan", "--endpoint", azure.url, "ws.yaml", cwd=tmp_path, env={"ENVIRONMENT": "x"}
    )
    assert plain.returncode == 1 and "variable ENVIRONMENT is not given" in plain.stderr


@pytest.mark.parametrize(
    ("name", "subscription", "network"),
    [
        ("ws1", SUB, "${VALUE}"),
        ("${VALUE}.x", SUB, "Disabled"),
        ("ws1", "${VALUE}", "Disabled"),
    ],
    ids=["enum", "name", "subscription"],
)
def test_a_substituted_value_is_never_echoed_in_an_error(
    tmp_path: Path, name: str, subscription: str, network: str
) -> None:
    canary = "canary-substituted-4e1b"
    (tmp_path / "ci.env").write_text(f"VALUE={canary}\n")
    (tmp_path / "ws.yaml").write_text(f"""apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: '{name}', subscription: '{subscription}', resourceGroup: {RG}}}
spec: {{location: westeurope, properties: {{publicNetworkAccess: '{network}'}}}}
""")
    done = run_cli("-vv", "validate", "--env-file", "ci.env", "ws.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert "${VALUE}" in done.stdout
    assert canary not in done.stdout + done.stderr


def test_literal_secrets_allowed_on_the_command_line_are_never_printed(
    azure: Azure, tmp_path: Path
) -> None:
    literal = "canary-literal-secret-77c2"
    manifest = tmp_path / "m.yaml"

    def write(value: str) -> None:
        manifest.write_text(
            workspace_manifest()
            + f"""---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: litconn, workspace: victimws, subscription: {SUB}, resourceGroup: {RG}}}
spec:
  properties:
    category: AzureOpenAI
    authType: ApiKey
    target: https://contoso.openai.azure.com/
    credentials: {{key: {value}}}
"""
        )

    write(literal)
    runs = _every_output(azure, tmp_path, "--allow-literal-secrets", "m.yaml")
    write(literal + "-rotated")
    runs += _every_output(azure, tmp_path, "--allow-literal-secrets", "m.yaml")
    for done in runs:
        assert done.returncode == 0, done.stderr
        assert literal not in done.stdout + done.stderr
    for text in _written(tmp_path):
        assert literal not in text
    stored = next(iter(azure.emulator.state.connections.values()))
    assert stored.credentials == {"key": literal + "-rotated"}  # sent, never shown


@pytest.mark.parametrize("name", ["AZURE_CLIENT_SECRET", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
def test_a_connection_cannot_take_the_jobs_own_credential_as_its_secret(
    azure: Azure, tmp_path: Path, name: str
) -> None:
    """A pull request naming the CI's sign-in secret as a connection's key would, once applied,
    store it in Azure and send it to the connection's target: refused at validate, file:line,
    before any call; the value is never read, let alone printed."""
    manifest = workspace_manifest() + connection_manifest("exfil").replace(
        "fromEnv: AZURE_OPENAI_API_KEY", f"fromEnv: {name}"
    )
    (tmp_path / "m.yaml").write_text(manifest)
    line = manifest.splitlines().index(next(x for x in manifest.splitlines() if name in x)) + 1
    done = run_cli(
        "plan", "--endpoint", azure.url, "m.yaml", cwd=tmp_path, env={name: "canary-job-secret-1"}
    )
    assert done.returncode == 1, done.stdout
    assert f"m.yaml:{line}:" in done.stdout + done.stderr
    assert "the job's own credential" in done.stdout + done.stderr
    assert "canary-job-secret-1" not in done.stdout + done.stderr
    assert azure.emulator.stats()["total"] == 0


@pytest.mark.parametrize(
    "name",
    [
        "ARM_CLIENT_CERTIFICATE",  # azurerm's certificate, base64: the sign-in itself
        "ARM_ACCESS_KEY",  # Terraform's state storage key, set beside a pipeline's ARM_*
        "ARM_SAS_TOKEN",
        "AZURE_DEVOPS_EXT_PAT",  # the az devops extension's token in Azure Pipelines
        "CI_REGISTRY_PASSWORD",  # GitLab's job credentials
        "CI_DEPLOY_PASSWORD",
        "ci_job_token",  # environment names are matched in any case (Windows agents)
    ],
)
def test_more_of_the_jobs_credentials_are_refused_as_secrets(tmp_path: Path, name: str) -> None:
    value, why = read_ref(SecretRef(env=name), {name: "canary-job-secret-2"}, tmp_path)
    assert value is None and why is not None and "the job's own credential" in why
