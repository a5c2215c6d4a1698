"""What notebook-token prints of a listNotebookAccessToken answer is the server's words, in
every format: nothing in it may reach a CI log as a command. Azure DevOps runs a ``##vso[``
command wherever it stands in a line, inside a JSON string too; GitHub Actions one that starts a
line. The real CLI, over loopback, through the proxy."""

from __future__ import annotations

import json

import pytest

from tests.safety.conftest import World
from tests.safety.manifests import WORKSPACE

HOSTILE = {
    "hostName": "##vso[task.setvariable variable=PATH]/tmp/attacker",
    "publicDns": "nb\n::error::pwned",
    "notebookResourceId": "##vso[task.uploadfile]/etc/passwd",
    "tokenType": "Bearer\u202e",
    "scope": "s\u001b[2J",
    "expiresIn": 3600,
    "accessToken": "eyJ0eXAiOiJKV1QifQ.e30.sig",
    "refreshToken": "refresh-opaque",
}


@pytest.mark.parametrize("shown", [(), ("--show-secrets",)])
def test_notebook_token_json_carries_no_log_command_of_the_servers(
    world: World, shown: tuple[str, ...]
) -> None:
    # Before: --format json printed json.dumps of the answer as it came, so the job's Azure
    # DevOps agent ran `##vso[task.setvariable variable=PATH]…` for the server (the text
    # format was already escaped).
    world.write(WORKSPACE)
    world.proxy.fault(
        "POST", "/workspaces/ws-real/listNotebookAccessToken", 200, json.dumps(HOSTILE).encode()
    )
    code, out, err = world.cli(
        "notebook-token", "--workspace", "ws-real", "--format", "json", *shown
    )
    assert code == 0, err
    assert "##vso[" not in out and "\u202e" not in out and "\x1b" not in out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("::")]
    token = json.loads(out)  # the same data, read back
    for field in ("hostName", "publicDns", "notebookResourceId", "tokenType", "scope"):
        assert token[field] == HOSTILE[field]
