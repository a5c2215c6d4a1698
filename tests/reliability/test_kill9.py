"""kill -9 in the middle of apply, at seeded random moments: the rerun converges.

ARM is the state: nothing is kept locally that a killed process could lose or corrupt. After
each kill a rerun (no faults) must bring every resource to the manifest, the next plan must
show nothing, and no resource is written more than once per run that needed it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, running
from tests.linked import LINKED_YAML

RG = "rg-kill"


def _manifest(path: Path) -> Path:
    docs = [
        f"apiVersion: reconciler/v1\nkind: Defaults\nspec: {{subscription: "
        f"{DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: westeurope}}\n"
    ]
    for w in range(6):
        docs.append(
            f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: ws{w}}}\n"
            f"spec: {{properties: {{description: w{w}, {LINKED_YAML}}}}}\n"
        )
        for c in range(2):
            docs.append(
                f"apiVersion: reconciler/v1\nkind: Connection\nmetadata: {{name: "
                f"conn{c}, workspace: ws{w}}}\nspec: {{properties: {{authType: None, "
                f"category: Git, target: 'https://g/{w}/{c}'}}}}\n"
            )
    path.write_text("---\n".join(docs))
    return path


def _puts(emulator: Emulator, fragment: str) -> int:
    return sum(1 for path in emulator.stats()["puts"] if fragment in path)


class _Clock:
    """The emulator's clock: real time plus what the test fast-forwards, and, once hurried,
    an hour of "Azure" time per real second."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.rate = 1.0
        self.since = time.time()

    def __call__(self) -> float:
        now = time.time()
        return now + self.offset + (now - self.since) * (self.rate - 1.0)

    def hurry(self) -> None:
        self.offset = self()
        self.offset -= time.time()
        self.since, self.rate = time.time(), 3600.0


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    """Wait for the other process to get somewhere (a condition, not a duration)."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.002)


@pytest.mark.parametrize(
    ("phase", "seed"),
    [("workspaces", 1), ("workspaces", 2), ("connections", 3), ("connections", 4)],
)
def test_kill_9_then_rerun_converges(tmp_path: Path, phase: str, seed: int) -> None:
    """The kill lands after a seeded number of PUTs of the phase: while workspaces are still
    provisioning (the emulator's clock stands still until the test moves it), or while the
    connections' PUTs go out."""
    rng = random.Random(seed)
    kill_after = rng.randint(1, 6) if phase == "workspaces" else rng.randint(1, 12)
    manifest = _manifest(tmp_path / "m.yaml")
    clock = _Clock()
    emulator = Emulator(
        knobs=Knobs(
            provisioning_seconds=3600 if phase == "workspaces" else 0,
            retry_after_seconds=0,
            latency_ms=20 if phase == "connections" else 0,
            seed=seed,
        ),
        clock=clock,
        resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
    )
    with running(emulator) as url:
        command = [
            sys.executable,
            "-m",
            "reconciler",
            "apply",
            "--endpoint",
            url,
            "--auto-approve",
            str(manifest),
        ]
        env = dict(os.environ)
        with subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        ) as process:
            fragment = "/workspaces/" if phase == "workspaces" else "/connections/"
            _wait_until(
                lambda: _puts(emulator, fragment) >= kill_after or process.poll() is not None,
                f"{kill_after} PUT(s) of {phase}",
            )
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL
        first_run = dict(emulator.stats()["puts"])
        clock.offset += 3600  # operations the killed process started finish in "Azure"
        emulator.knobs.provisioning_seconds = 0  # and the rerun's own finish at once
        # A PUT the killed process had already sent may reach the emulator only now, and the
        # rerun waits for what it finds still provisioning: from here "Azure" provisions in
        # about a millisecond of real time, so nothing started later keeps it waiting.
        clock.hurry()
        rerun = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=120, check=False
        )
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        check = subprocess.run(
            [*command[:3], "plan", "--endpoint", url, "--detailed-exitcode", str(manifest)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert check.returncode == 0, check.stdout
        puts = emulator.stats()["puts"]
        assert len(puts) == 6 + 12  # every resource written
        for resource, count in puts.items():
            # Written by the killed run, or by the rerun, and by both only if the killed run
            # never got to finish it.
            assert count <= 2, (resource, count)
            if count == 2:
                assert resource in first_run
