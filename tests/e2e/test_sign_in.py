"""Without credentials the tool says so in one line: what it tried and how to sign in.

A real process with no Azure credential anywhere (no variables, an empty HOME); the network
guard answers the managed-identity probe, so nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.arm.auth import AzureIdentityToken, arm_scope
from reconciler.arm.connect import Target, arm_client
from tests.e2e.conftest import EXAMPLES


def _plan_without_credentials(
    tmp_path: Path, *extra: str, **azure: str
) -> subprocess.CompletedProcess[str]:
    """``azure``: the AZURE_* variables the process gets (none by default)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_"))}
    env.update(HOME=str(tmp_path), RECONCILER_ARM_ENDPOINT="https://management.azure.com")
    env.update(azure)
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", *extra, "--secrets", "skip", str(EXAMPLES)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_no_credential_is_one_line_naming_what_was_tried_and_how_to_sign_in(
    tmp_path: Path,
) -> None:
    done = _plan_without_credentials(tmp_path)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    line = done.stderr
    assert line.startswith("error: no Azure credential for https://management.azure.com/.default")
    for tried in ("environment variables", "workload identity", "managed identity", "Azure CLI"):
        assert tried in line
    for how in ("az login", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE", "-vv"):
        assert how in line


def test_vv_shows_each_credentials_answer(tmp_path: Path) -> None:
    done = _plan_without_credentials(tmp_path, "-vv")
    assert done.returncode == 1
    assert "EnvironmentCredential" in done.stderr and "AzureCliCredential" in done.stderr
    assert done.stderr.rstrip().splitlines()[-1].startswith("error: no Azure credential")


TENANT = "00000000-0000-0000-0000-0000000000a1"
CLIENT = "00000000-0000-0000-0000-0000000000c1"


@pytest.mark.parametrize(
    ("azure", "named"),
    [
        (
            {
                "AZURE_TENANT_ID": "my tenant!",
                "AZURE_CLIENT_ID": CLIENT,
                "AZURE_CLIENT_SECRET": "x",
            },
            "Invalid tenant ID",
        ),
        (
            {
                "AZURE_TENANT_ID": TENANT,
                "AZURE_CLIENT_ID": CLIENT,
                "AZURE_CLIENT_CERTIFICATE_PATH": "/nonexistent/sp.pem",
            },
            "/nonexistent/sp.pem",
        ),
        (
            {
                "AZURE_AUTHORITY_HOST": "http://login.example",
                "AZURE_TENANT_ID": TENANT,
                "AZURE_CLIENT_ID": CLIENT,
                "AZURE_CLIENT_SECRET": "x",
            },
            "https",
        ),
    ],
    ids=["malformed-tenant", "missing-certificate", "http-authority"],
)
def test_an_environment_azure_identity_refuses_is_a_sign_in_error_in_one_line(
    tmp_path: Path, azure: dict[str, str], named: str
) -> None:
    """azure-identity checks some variables as it builds the credential, before any token is
    asked for: a service principal's typo is a sign-in error, not a traceback."""
    done = _plan_without_credentials(tmp_path, **azure)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: could not get an Azure token for https://management")
    assert named in done.stderr
    assert "az login" in done.stderr


@pytest.mark.parametrize(
    ("endpoint", "scope"),
    [
        ("https://management.azure.com", "https://management.azure.com/.default"),
        ("https://management.chinacloudapi.cn/", "https://management.chinacloudapi.cn/.default"),
        ("https://management.usgovcloudapi.net", "https://management.usgovcloudapi.net/.default"),
    ],
)
def test_the_arm_token_scope_follows_the_endpoint(endpoint: str, scope: str) -> None:
    assert arm_scope(endpoint) == scope

    async def provider_scope() -> str:
        async with arm_client(Target(endpoint.rstrip("/"))) as client:
            assert isinstance(client.tokens, AzureIdentityToken)
            return client.tokens.scope

    assert asyncio.run(provider_scope()) == scope
