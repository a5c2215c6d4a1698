"""`reconciler emulator` started by hand runs the README's examples, as `--emulator` does.

Real processes over loopback: the emulator as a server, the CLI against it with nothing but
`--endpoint` (no PLAYWRIGHT_ENDPOINT, no admin requests), as a newcomer would type it.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import EXAMPLES, PLAYWRIGHT_ACCOUNT, Azure

SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PLAYWRIGHT_ENDPOINT", None)
    env.pop("RECONCILER_ARM_ENDPOINT", None)
    env.pop("SSL_CERT_FILE", None)
    return env


@contextmanager
def emulator(cwd: Path, *args: str) -> Iterator[tuple[str, list[str]]]:
    """Start `reconciler emulator --port 0 ARGS`; yield its URL and the banner's lines."""
    with subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "--port", "0", *args],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline()]
            assert "listening on" in lines[0], lines[0] + (process.stderr.read() or "")  # type: ignore[union-attr]
            while "Ctrl-C" not in lines[-1] and lines[-1]:
                lines.append(process.stdout.readline())
            yield lines[0].rsplit(" ", 1)[1].strip(), lines
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()  # fail the test; never leave Popen's exit waiting forever
                raise


def cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env={**_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_emulator_runs_the_readme_examples_with_only_endpoint(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "manifests" / "examples")
    with emulator(tmp_path, "--demo") as (url, _):
        args = ["--endpoint", url, "--env-file", "manifests/examples/demo.env"]
        applied = cli(tmp_path, "apply", "--auto-approve", *args, "manifests/examples/")
        assert applied.returncode == 0, applied.stderr
        planned = cli(tmp_path, "plan", "--detailed-exitcode", *args, "manifests/examples/")
    # The audit went to the emulator (no Azure sign-in attempted) and found its token.
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "DefaultAzureCredential" not in planned.stderr
    assert "AccountNotFound" not in planned.stdout
    assert "No changes" in planned.stdout


def test_banner_says_url_subscription_groups_and_how_to_seed_more(tmp_path: Path) -> None:
    demo = ["--demo", str(EXAMPLES), "--env-file", str(EXAMPLES / "demo.env")]
    with emulator(tmp_path, "--resource-group", "extra-rg", *demo) as (url, lines):
        banner = "".join(lines)
        # The banner's curl commands work as printed.
        for line in lines:
            if line.strip().startswith("curl "):
                words = shlex.split(line)
                method, target = words[words.index("-X") + 1], words[words.index("-X") + 2]
                payload = json.loads(words[words.index("-d") + 1])
                answer = httpx.request(
                    method, target.replace("ACCOUNT_ID", "eastus_0000-aaaa"), json=payload
                )
                assert answer.status_code in (201, 204), answer.text
    assert f"default subscription: {SUBSCRIPTION}" in banner
    assert "workspace-1234" in banner and "extra-rg" in banner
    assert PLAYWRIGHT_ACCOUNT in banner and "ciPipelineToken" in banner
    assert f"curl -X POST {url}/_emulator/resourceGroups" in banner
    assert "--resource-group NAME" in banner


def test_demo_without_examples_says_what_to_give(tmp_path: Path) -> None:
    result = cli(tmp_path, "emulator", "--port", "0", "--demo")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "--demo PATH" in result.stderr


def test_https_emulator_removes_its_certificate_after_ctrl_c(tmp_path: Path) -> None:
    with emulator(tmp_path, "--https") as (url, lines):
        assert url.startswith("https://")
        cert_line = next(line for line in lines if "certificate:" in line)
        cert = Path(cert_line.split("certificate:", 1)[1].split()[0])
        assert cert.is_file()
        assert "SSL_CERT_FILE" in cert_line
    assert not cert.parent.exists()


def test_a_loopback_endpoint_on_the_command_line_serves_the_playwright_audit_too(
    azure: Azure, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLAYWRIGHT_ENDPOINT")
    code, out, err = azure.cli(
        "plan",
        "--endpoint",
        azure.url,
        "--env-file",
        str(EXAMPLES / "demo.env"),
        str(EXAMPLES),
        capsys=capsys,
    )
    assert code == 0, err
    assert "PlaywrightAccessTokens/e2e-tokens" not in out  # no finding: its token is Active
    assert azure.emulator.stats()["requests"].get("GET playwright.accessTokens.list", 0) == 1


def test_an_endpoint_from_the_environment_does_not_redirect_the_audit(
    azure: Azure, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the command line may point the audits at loopback; a file or variable may not."""
    from reconciler.commands.common import playwright_endpoint
    from reconciler.commands.parser import build_parser

    monkeypatch.setenv("RECONCILER_ARM_ENDPOINT", azure.url)
    args = build_parser().parse_args(["plan", "x"])
    assert playwright_endpoint(args, azure.url) is None
    args = build_parser().parse_args(["plan", "--endpoint", azure.url, "x"])
    assert playwright_endpoint(args, azure.url) == azure.url
    args = build_parser().parse_args(["plan", "--endpoint", "https://management.azure.com", "x"])
    assert playwright_endpoint(args, "https://management.azure.com") is None


def test_an_untrusted_certificate_is_reported_as_one_naming_ssl_cert_file(tmp_path: Path) -> None:
    demo = ["--demo", str(EXAMPLES), "--env-file", str(EXAMPLES / "demo.env")]
    with emulator(tmp_path, "--https", *demo) as (url, lines):
        cert_line = next(line for line in lines if "certificate:" in line)
        cert = cert_line.split("certificate:", 1)[1].split()[0]
        args = ["plan", "--endpoint", url, "--env-file", str(EXAMPLES / "demo.env"), str(EXAMPLES)]
        untrusted = cli(tmp_path, *args)
        trusted = cli(tmp_path, *args, SSL_CERT_FILE=cert)
    assert untrusted.returncode == 1
    assert untrusted.stderr.count("\n") == 1, untrusted.stderr
    assert "certificate" in untrusted.stderr and "SSL_CERT_FILE" in untrusted.stderr
    assert "no CA bundle is set" in untrusted.stderr
    assert "no answer" not in untrusted.stderr
    assert trusted.returncode == 0, trusted.stderr


def test_an_explicit_playwright_endpoint_wins(azure: Azure) -> None:
    from reconciler.commands.common import playwright_endpoint
    from reconciler.commands.parser import build_parser

    other = "https://eastus.api.playwright.microsoft.com"
    args = build_parser().parse_args(
        ["plan", "--endpoint", azure.url, "--playwright-endpoint", other + "/", "x"]
    )
    assert playwright_endpoint(args, azure.url) == other
