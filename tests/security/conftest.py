"""Security fixtures: the attacker's host, the emulator as the real service, and canaries.

Every test here plays a pull request written by an attacker: it changes only manifests or files
in the repository, runs the real CLI against the emulator, and then checks that the hostile host
received nothing and no canary reached any output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import CANARIES, azure
from tests.linked import LINKED_YAML
from tests.security.hostile import Hostile, hostile_server

__all__ = ["azure"]

Completed = subprocess.CompletedProcess[str]

# What a leaked emulator token looks like (reconciler.arm.auth.StaticToken, used for loopback).
FAKE_BEARER = "Bearer reconciler-development-token"
SUB = "00000000-1111-2222-3333-444444444444"
RG = "workspace-1234"


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    with hostile_server() as server:
        yield server


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        for canary in CANARIES.values():
            assert canary not in text, f"secret {canary!r} leaked"


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> Completed:
    """The real CLI as a process, in the attacker's checkout, with canaries in its environment
    and nothing added to its command line."""
    full = {**os.environ, **CANARIES}
    full.pop("RECONCILER_ARM_ENDPOINT", None)
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def workspace_manifest(name: str = "victimws", *, extra: str = "") -> str:
    return f"""apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: {name}, subscription: {SUB}, resourceGroup: {RG}}}
spec:
  location: westeurope
  properties: {{friendlyName: PR workspace, {LINKED_YAML}}}
{extra}"""


def connection_manifest(name: str, workspace: str = "victimws", *, extra: str = "") -> str:
    return f"""---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: {name}, workspace: {workspace}, subscription: {SUB}, resourceGroup: {RG}}}
spec:
  properties:
    category: AzureOpenAI
    authType: ApiKey
    target: https://contoso.openai.azure.com/
    credentials: {{key: {{fromEnv: AZURE_OPENAI_API_KEY}}}}
{extra}"""
