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
from pathlib import Path

import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, running

RG = "rg-kill"


def _manifest(path: Path) -> Path:
    docs = [
        f"apiVersion: reconciler/v1\nkind: Defaults\nspec: {{subscription: "
        f"{DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: westeurope}}\n"
    ]
    for w in range(6):
        docs.append(
            f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: ws{w}}}\n"
            f"spec: {{properties: {{description: w{w}}}}}\n"
        )
        for c in range(2):
            docs.append(
                f"apiVersion: reconciler/v1\nkind: Connection\nmetadata: {{name: "
                f"conn{c}, workspace: ws{w}}}\nspec: {{properties: {{authType: None, "
                f"category: Git, target: 'https://g/{w}/{c}'}}}}\n"
            )
    path.write_text("---\n".join(docs))
    return path


def _seen(emulator: Emulator, fragment: str) -> bool:
    return any(fragment in path for path in emulator.stats()["puts"])


@pytest.mark.parametrize(
    ("phase", "seed"),
    [("workspaces", 1), ("workspaces", 2), ("connections", 3), ("connections", 4)],
)
def test_kill_9_then_rerun_converges(tmp_path: Path, phase: str, seed: int) -> None:
    rng = random.Random(seed)
    manifest = _manifest(tmp_path / "m.yaml")
    # Provisioning and latency take real time so that the kill lands inside the phase:
    # while workspaces provision (2 s), or while the 12 connection PUTs (100 ms each) go out.
    emulator = Emulator(
        knobs=Knobs(
            provisioning_seconds=2.0,
            retry_after_seconds=0,
            latency_ms=100 if phase == "connections" else 10,
            seed=seed,
        ),
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
            deadline = time.monotonic() + 30
            while not _seen(emulator, fragment) and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 1.5) if phase == "workspaces" else rng.uniform(0.0, 0.05))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL
        first_run = dict(emulator.stats()["puts"])
        time.sleep(2.1)  # operations the killed process started finish in "Azure"
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
