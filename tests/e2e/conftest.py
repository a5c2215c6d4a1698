"""End-to-end fixtures: a real emulator server on loopback and the real CLI against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler import kinds
from reconciler.cli import main
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, running
from reconciler.manifest.load import LoadOptions, load
from reconciler.manifest.model import ResourceManifest

EXAMPLES = Path(__file__).resolve().parents[2] / "manifests" / "examples"


def _example_resources() -> tuple[ResourceManifest, ...]:
    options = LoadOptions(check_secrets=False, cross_check=kinds.cross_check)
    result = load([EXAMPLES], options)
    assert result.ok, [p.render() for p in result.problems]
    return result.manifests.resources


# Every ARM resource the examples declare (a first apply creates each with one PUT), their
# workspaces, and the workspaces among them that name no other one (a first apply starts them
# at once; a project waits for its hub): tests of the README's first command follow the
# examples as they grow.
_WORKSPACES = [m for m in _example_resources() if m.address.kind == "Workspace"]
EXAMPLE_RESOURCES = len(_example_resources())
EXAMPLE_WORKSPACES = len(_WORKSPACES)
INDEPENDENT_WORKSPACES = len([m for m in _WORKSPACES if not m.refs])
PLAYWRIGHT_ACCOUNT = "sampleAccountId_00000000-0000-0000-0000-000000000000"
CANARIES = {
    "AZURE_OPENAI_API_KEY": "canary-aoai-7f3e9b1c",
    "DATALAKE_SP_CLIENT_ID": "canary-client-id-55aa",
    "DATALAKE_SP_CLIENT_SECRET": "canary-client-secret-91d0",
    "DATALAKE_SP_TENANT_ID": "canary-tenant-id-3c3c",
}


# Commands that read manifests, which may hold PlaywrightAccessTokens audits.
MANIFEST_COMMANDS = ("validate", "plan", "apply", "drift", "notebook-token", "destroy")


@dataclass
class Azure:
    emulator: Emulator
    url: str

    def _args(self, args: tuple[str, ...]) -> list[str]:
        """The example audit's endpoint points at the emulator (``$PLAYWRIGHT_ENDPOINT``): a
        loopback host the command line must allow, as a pipeline testing against it would."""
        command = next((a for a in args if not a.startswith("-")), "")
        if command in MANIFEST_COMMANDS and "--playwright-endpoint" not in args:
            return [*args, "--playwright-endpoint", self.url]
        return [*args]

    def cli(self, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        """Run the CLI in-process (real HTTP to the emulator); returns (code, out, err)."""
        code = main(self._args(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    def process(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the CLI as a real process."""
        full_env = {**os.environ, **CANARIES, "PLAYWRIGHT_ENDPOINT": self.url, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "reconciler", *self._args(args)],
            capture_output=True,
            text=True,
            env=full_env,
            stdin=subprocess.DEVNULL,  # no terminal: a confirmation is never typed by chance
            timeout=120,
            check=False,
        )


def seed_example_account(emulator: Emulator) -> None:
    """The example audit's account, holding its required token, Active for long enough."""
    emulator.playwright.seed(
        PLAYWRIGHT_ACCOUNT,
        [
            {
                "id": "00000000-0000-4000-8000-000000000001",
                "name": "ciPipelineToken",
                "createdAt": "2026-01-01T00:00:00Z",
                "expiryAt": "2099-01-01T00:00:00Z",
                "state": "Active",
            }
        ],
    )


@pytest.fixture
def azure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Azure]:
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    emulator = Emulator(
        knobs=Knobs(retry_after_seconds=0),
        resource_groups=((DEFAULT_SUBSCRIPTION, "workspace-1234"),),
    )
    seed_example_account(emulator)
    with running(emulator) as url:
        # The example audit's Playwright endpoint points at the emulator too.
        monkeypatch.setenv("PLAYWRIGHT_ENDPOINT", url)
        yield Azure(emulator, url)


def stderr_once_the_reader_goes(argv: list[str], after: str) -> str:
    """Run the CLI with ``argv`` as ``… | head`` does: read its stdout until a line holding
    ``after``, close it, and return its stderr once it exits 1 (the run cut short)."""
    with subprocess.Popen(
        [sys.executable, "-m", "reconciler", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        for line in process.stdout:
            if after in line:
                break
        process.stdout.close()
        err = process.stderr.read()
        assert process.wait(timeout=60) == 1, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    return err
