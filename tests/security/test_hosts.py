"""Hosts: a pull request cannot send a request, or a token, anywhere but the endpoint the
operator chose (command line or process environment) and the documented Playwright hosts.

Each test plays the attack end to end: the real CLI against the emulator, the attacker's host
on loopback recording what reached it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from reconciler.arm.auth import StaticToken
from reconciler.arm.client import ArmClient
from reconciler.arm.hosts import is_loopback, playwright_endpoint_problem
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Knobs, LroMode, running
from reconciler.emulator.wire import Request, Response
from reconciler.errors import UnsafeUrlError
from tests.e2e.conftest import Azure
from tests.security.conftest import (
    FAKE_BEARER,
    RG,
    assert_no_canary,
    connection_manifest,
    run_cli,
    workspace_manifest,
)
from tests.security.hostile import Hostile, RewritingEmulator


def _audit(endpoint: str) -> str:
    return f"""apiVersion: reconciler/v1
kind: PlaywrightAccessTokens
metadata: {{name: e2e-tokens}}
spec:
  endpoint: {endpoint}
  accountId: eastus_00000000-0000-0000-0000-000000000000
  requiredTokens: [{{name: ciPipelineToken}}]
"""


def test_a_manifest_cannot_send_the_playwright_token_to_its_own_host(
    azure: Azure, hostile: Hostile, tmp_path: Path
) -> None:
    (tmp_path / "audit.yaml").write_text(_audit(hostile.url))
    for command in (
        ["validate"],
        ["plan", "--endpoint", azure.url],
        ["drift", "--endpoint", azure.url],
    ):
        done = run_cli(*command, "audit.yaml", cwd=tmp_path)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "audit.yaml:5:13: spec.endpoint: must be a Playwright service endpoint" in (
            done.stdout + done.stderr
        )
    assert FAKE_BEARER not in hostile.tokens and hostile.seen == []


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://attacker.example",
        "https://eastus.api.playwright.microsoft.com.attacker.example",
        "https://eastus.api.playwright.microsoft.com@attacker.example",
        "http://eastus.api.playwright.microsoft.com",
        "https://eastus.api.playwright.microsoft.com:8443",
        "https://api.playwright.microsoft.com",
    ],
)
def test_only_documented_playwright_hosts_validate(tmp_path: Path, endpoint: str) -> None:
    (tmp_path / "audit.yaml").write_text(_audit(endpoint))
    done = run_cli("validate", "audit.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert "spec.endpoint: must be a Playwright service endpoint" in done.stdout


def test_the_documented_playwright_hosts_and_a_command_line_endpoint_are_allowed() -> None:
    assert playwright_endpoint_problem("https://eastus.api.playwright.microsoft.com") is None
    assert playwright_endpoint_problem("https://westeurope.api.playwright.microsoft.com/") is None
    assert playwright_endpoint_problem("http://127.0.0.1:9", ["http://127.0.0.1:9"]) is None
    assert playwright_endpoint_problem("http://127.0.0.1:9", ["http://127.0.0.1:8"]) is not None


def test_an_env_file_in_the_tree_cannot_point_the_arm_token_elsewhere(
    azure: Azure, hostile: Hostile, tmp_path: Path
) -> None:
    (tmp_path / "ws.yaml").write_text(workspace_manifest())
    (tmp_path / "ci.env").write_text(f"RECONCILER_ARM_ENDPOINT={hostile.url}\n")
    done = run_cli("plan", "--env-file", "ci.env", "ws.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ci.env:1: RECONCILER_ARM_ENDPOINT configures the tool")
    assert hostile.seen == []
    # The operator's choice still works: the process environment, or --endpoint.
    done = run_cli("plan", "ws.yaml", cwd=tmp_path, env={"RECONCILER_ARM_ENDPOINT": azure.url})
    assert done.returncode == 0, done.stderr


def _to_attacker(hostile: Hostile, url: str) -> str:
    path = url.split("://", 1)[1].split("/", 1)[1]
    return f"{hostile.url}/{path}"


@pytest.mark.parametrize(
    ("mode", "header"),
    [("202-async", "Azure-AsyncOperation"), ("202-location", "Location")],
)
def test_a_long_running_operation_is_never_followed_to_another_host(
    hostile: Hostile, tmp_path: Path, mode: str, header: str
) -> None:
    def tamper(request: Request, response: Response) -> None:
        if header in response.headers:
            response.headers[header] = _to_attacker(hostile, response.headers[header])

    emulator = RewritingEmulator(
        tamper,
        knobs=Knobs(retry_after_seconds=0, lro_mode=LroMode(mode)),
        resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
    )
    (tmp_path / "ws.yaml").write_text(workspace_manifest())
    with running(emulator) as url:
        done = run_cli("apply", "--endpoint", url, "--auto-approve", "ws.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert f"refusing GET operation.poll to http://127.0.0.1:{hostile.url.rsplit(':', 1)[1]}" in (
        done.stdout + done.stderr
    )
    assert hostile.seen == []


def test_a_pruned_connection_is_deleted_on_the_endpoint_not_at_its_id(
    hostile: Hostile, tmp_path: Path
) -> None:
    tampering = {"on": False}

    def tamper(request: Request, response: Response) -> None:
        body = response.body
        if tampering["on"] and isinstance(body, dict):
            for item in body.get("value") or []:
                if isinstance(item, dict) and str(item.get("id", "")).endswith("/gone"):
                    item["id"] = hostile.url + item["id"]

    emulator = RewritingEmulator(
        tamper, knobs=Knobs(retry_after_seconds=0), resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        workspace_manifest() + connection_manifest("kept") + connection_manifest("gone")
    )
    with running(emulator) as url:
        assert (
            run_cli(
                "apply",
                "--endpoint",
                url,
                "--owner",
                "team-a",
                "--auto-approve",
                "m.yaml",
                cwd=tmp_path,
            ).returncode
            == 0
        )
        manifest.write_text(workspace_manifest() + connection_manifest("kept"))
        tampering["on"] = True
        done = run_cli(
            "apply",
            "--endpoint",
            url,
            "--owner",
            "team-a",
            "--prune",
            "--auto-approve",
            "m.yaml",
            cwd=tmp_path,
        )
    assert done.returncode == 1
    assert "refusing" in done.stderr  # refused for where the id points, not for anything else
    assert hostile.seen == []
    assert_no_canary(done.stdout, done.stderr)


def test_a_next_link_cannot_downgrade_to_plain_http() -> None:
    sent: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(
            200, json={"value": [1], "nextLink": "http://management.example/page2"}
        )

    async def go() -> None:
        async with ArmClient(
            "https://management.example", StaticToken(), transport=httpx.MockTransport(handle)
        ) as client:
            await client.list_all("/things")

    with pytest.raises(UnsafeUrlError, match="refusing a nextLink"):
        asyncio.run(go())
    assert sent == ["https://management.example/things"]


@pytest.mark.parametrize(
    "next_link",
    [
        "https://management.example/page2\n::error::pwned",
        "/page2\r\nX-Injected: 1",
        "https://management.example/page\x7f2",
        "https://management.example/page\x002",
    ],
)
def test_a_next_link_holding_a_control_character_is_refused_not_a_traceback(
    next_link: str,
) -> None:
    # Before: httpx raised InvalidURL ("Invalid non-printable ASCII character in URL"), which
    # the command line printed as a Python traceback.
    sent: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200, json={"value": [1], "nextLink": next_link})

    async def go() -> None:
        async with ArmClient(
            "https://management.example", StaticToken(), transport=httpx.MockTransport(handle)
        ) as client:
            await client.list_all("/things")

    with pytest.raises(UnsafeUrlError, match=r"refusing a nextLink .*: not a valid URL"):
        asyncio.run(go())
    assert sent == ["https://management.example/things"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.1:8765",
        "http://0.0.0.0:8765",
        "http://[::1]:8765",
        "http://[::ffff:127.0.0.1]:8765",
        "http://2130706433:8765",
        "http://0x7f.0.0.1:8765",
        "http://localhost:8765",
    ],
)
def test_loopback_is_decided_by_the_address_not_its_spelling(url: str) -> None:
    assert is_loopback(url)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1", "http://169.254.169.254", "http://attacker.example", "http://[::2]"]
)
def test_other_addresses_are_not_loopback(url: str) -> None:
    assert not is_loopback(url)


def test_a_short_loopback_spelling_reaches_the_emulator_with_the_development_token(
    azure: Azure, tmp_path: Path
) -> None:
    (tmp_path / "ws.yaml").write_text(workspace_manifest())
    port = azure.url.rsplit(":", 1)[1]
    done = run_cli("plan", "--endpoint", f"http://127.1:{port}", "ws.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_prune_deletes_the_planned_connection_even_when_its_id_names_another(
    tmp_path: Path,
) -> None:
    """The id in a list answer is data: when it names another workspace's connection on the
    same endpoint, nothing is deleted (the plan's address decides what DELETE targets)."""
    tampering = {"on": False}

    def tamper(request: Request, response: Response) -> None:
        body = response.body
        if tampering["on"] and isinstance(body, dict):
            for item in body.get("value") or []:
                if isinstance(item, dict) and str(item.get("id", "")).endswith("/gone"):
                    item["id"] = item["id"].replace("/workspaces/prws/", "/workspaces/otherws/")

    emulator = RewritingEmulator(
        tamper, knobs=Knobs(retry_after_seconds=0), resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    manifest = tmp_path / "m.yaml"
    mine = workspace_manifest("prws") + connection_manifest("gone", "prws")
    theirs = "---\n" + workspace_manifest("otherws") + connection_manifest("gone", "otherws")
    manifest.write_text(mine + theirs)
    with running(emulator) as url:
        first = run_cli(
            "apply",
            "--endpoint",
            url,
            "--owner",
            "team-a",
            "--auto-approve",
            "m.yaml",
            cwd=tmp_path,
        )
        assert first.returncode == 0, first.stdout + first.stderr
        manifest.write_text(workspace_manifest("prws") + theirs)
        tampering["on"] = True
        done = run_cli(
            "apply",
            "--endpoint",
            url,
            "--owner",
            "team-a",
            "--prune",
            "--auto-approve",
            "m.yaml",
            cwd=tmp_path,
        )
        deletes = [p for p in emulator.stats()["requests"] if p.startswith("DELETE")]
    assert done.returncode == 1, done.stdout + done.stderr
    assert "does not name the connection the plan deletes" in done.stderr
    assert deletes == []
