"""The emulator behind a proxy that answers like real ARM, and the real CLI in front of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.cli import main
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, running
from tests.safety.armshapes import Proxy, armlike
from tests.safety.manifests import AOAI, GIT, WORKSPACE

SUB = DEFAULT_SUBSCRIPTION
RG = "rg-safety"
PROVIDER = "Microsoft.MachineLearningServices"
WS_PATH = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{PROVIDER}/workspaces"
DEFAULTS = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {SUB}, resourceGroup: {RG}, location: westeurope}}
"""


@dataclass
class World:
    emulator: Emulator
    proxy: Proxy
    manifest: Path
    capsys: pytest.CaptureFixture[str]

    def write(self, *documents: str) -> None:
        self.manifest.write_text("---\n".join([DEFAULTS, *documents]), encoding="utf-8")

    def cli(self, *args: str) -> tuple[int, str, str]:
        """The real CLI, in-process, over loopback HTTP through the proxy."""
        self.capsys.readouterr()
        code = main([args[0], "--endpoint", self.proxy.url, *args[1:], str(self.manifest)])
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def run(self, *args: str) -> tuple[int, str, str]:
        """The real CLI with exactly these arguments."""
        self.capsys.readouterr()
        code = main(list(args))
        out = self.capsys.readouterr()
        return code, out.out, out.err

    def get(self, path: str, api_version: str = "2023-04-01") -> Any:
        """What a client reads through the proxy (the realistic shape)."""
        answer = httpx.get(
            self.proxy.url + path,
            params={"api-version": api_version},
            headers={"Authorization": "Bearer test"},
        )
        answer.raise_for_status()
        return answer.json()

    def stored(self, name: str) -> dict[str, Any]:
        return self.emulator.state.workspaces[(SUB, RG.lower(), name.lower())].body

    def credentials(self, ws: str, name: str) -> Any:
        return self.emulator.state.connections[(SUB, RG.lower(), ws, name)].credentials

    def writes(self) -> int:
        return sum(self.emulator.stats()["puts"].values())


@pytest.fixture
def world(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[World]:
    emulator = Emulator(knobs=Knobs(retry_after_seconds=0), resource_groups=((SUB, RG),))
    with running(emulator) as url, armlike(url) as proxy:
        yield World(emulator, proxy, tmp_path / "m.yaml", capsys)


@pytest.fixture
def rerun(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """The workspace exists (its git connection too); a new connection is declared; the
    proxy's record of PUTs starts empty."""
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    world.write(WORKSPACE, GIT)
    assert world.cli("apply", "--auto-approve")[0] == 0
    world.write(WORKSPACE, AOAI, GIT)
    world.proxy.puts.clear()
    return world
