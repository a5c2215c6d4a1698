"""apply as users run it: confirmation, saved plans, and Ctrl-C in the middle."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, running
from tests.e2e.conftest import (
    CANARIES,
    EXAMPLE_RESOURCES,
    EXAMPLES,
    INDEPENDENT_WORKSPACES,
    Azure,
    seed_example_account,
)

WS_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/workspace-1234/"
    "providers/Microsoft.MachineLearningServices/workspaces/testworkspace"
)


def test_without_a_terminal_apply_refuses_unless_auto_approved(azure: Azure) -> None:
    done = azure.process("apply", "--endpoint", azure.url, str(EXAMPLES))
    assert done.returncode == 1
    assert "refusing to apply without confirmation" in done.stderr
    assert azure.emulator.stats()["puts"] == {}


def test_a_saved_plan_is_applied_exactly_and_refused_when_stale(
    azure: Azure, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    made = azure.process("plan", "--endpoint", azure.url, "--out", str(saved), str(EXAMPLES))
    assert made.returncode == 0
    applied = azure.process("apply", "--endpoint", azure.url, "--plan", str(saved), str(EXAMPLES))
    assert applied.returncode == 0, applied.stderr
    assert f"{EXAMPLE_RESOURCES} created" in applied.stdout
    # A new plan, then someone changes the workspace in the portal before it is applied.
    made = azure.process("plan", "--endpoint", azure.url, "--out", str(saved), str(EXAMPLES))
    azure.emulator.edit(WS_ID, {"tags": {"owner": "someone else"}})
    stale = azure.process("apply", "--endpoint", azure.url, "--plan", str(saved), str(EXAMPLES))
    assert stale.returncode == 1
    assert "testworkspace changed in Azure since" in stale.stderr


def test_a_saved_plan_of_format_version_1_is_refused_in_one_line_before_reading_azure(
    azure: Azure, tmp_path: Path
) -> None:
    """A plan saved by a version of the tool before reason codes (format 1)."""
    saved = tmp_path / "plan.json"
    made = azure.process("plan", "--endpoint", azure.url, "--out", str(saved), str(EXAMPLES))
    assert made.returncode == 0, made.stderr
    document = json.loads(saved.read_text(encoding="utf-8"))
    document["format_version"] = "1"
    for change in document["changes"]:
        del change["code"]
    saved.write_text(json.dumps(document), encoding="utf-8")
    before = azure.emulator.stats()["total"]
    old = azure.process("apply", "--endpoint", azure.url, "--plan", str(saved), str(EXAMPLES))
    assert old.returncode == 1
    assert old.stderr.count("\n") == 1 and "Traceback" not in old.stderr, old.stderr
    assert "format version '1'" in old.stderr and "re-run plan" in old.stderr, old.stderr
    assert azure.emulator.stats()["total"] == before  # refused before any call to Azure


def test_a_saved_plan_whose_manifests_changed_is_refused_before_reading_azure(
    azure: Azure, tmp_path: Path
) -> None:
    """The manifests are read before Azure is: a plan made from other manifests (edited since,
    another commit's) is refused without a call, not after reading every workspace and
    listing every connection's secrets."""
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    saved = tmp_path / "plan.json"
    made = azure.process("plan", "--endpoint", azure.url, "--out", str(saved), str(manifests))
    assert made.returncode == 0, made.stderr
    workspace = manifests / "workspace.yaml"
    workspace.write_text(workspace.read_text().replace("HelloName", "Edited"))
    before = azure.emulator.stats()["total"]
    edited = azure.process("apply", "--endpoint", azure.url, "--plan", str(saved), str(manifests))
    assert edited.returncode == 1
    assert edited.stderr == f"error: the manifests changed since {saved} was made; plan again\n"
    assert azure.emulator.stats()["total"] == before


def test_a_saved_plan_applied_with_strict_is_refused_when_strict_would_remove_more(
    azure: Azure, tmp_path: Path
) -> None:
    """Reviewed without ``--strict`` (the portal's friendly name put back, its tag kept);
    applied with it, the PUT would also remove the tag nobody saw go: refused, nothing sent."""
    saved = tmp_path / "plan.json"
    first = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(EXAMPLES))
    assert first.returncode == 0, first.stderr
    azure.emulator.edit(WS_ID, {"tags": {"costcenter": "42"}, "properties": {"friendlyName": "P"}})
    made = azure.process("plan", "--endpoint", azure.url, "--out", str(saved), str(EXAMPLES))
    assert made.returncode == 0, made.stderr
    puts = azure.emulator.stats()["puts"]
    strict = azure.process(
        "apply", "--endpoint", azure.url, "--plan", str(saved), "--strict", str(EXAMPLES)
    )
    assert strict.returncode == 1
    assert "testworkspace: apply would change tags otherwise than" in strict.stderr
    assert azure.emulator.stats()["puts"] == puts
    applied = azure.process("apply", "--endpoint", azure.url, "--plan", str(saved), str(EXAMPLES))
    assert applied.returncode == 0, applied.stderr


class _Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_reports_operations_in_flight_and_a_rerun_converges(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """Ctrl-C, or SIGTERM as CI sends it to cancel a job."""
    clock = _Clock()
    emulator = Emulator(
        knobs=Knobs(provisioning_seconds=3600, retry_after_seconds=1),
        clock=clock,
        resource_groups=((DEFAULT_SUBSCRIPTION, "workspace-1234"),),
    )
    seed_example_account(emulator)
    with running(emulator) as url:
        env = {**os.environ, **CANARIES, "PLAYWRIGHT_ENDPOINT": url}
        command = [
            sys.executable,
            "-m",
            "reconciler",
            "apply",
            "--endpoint",
            url,
            "--playwright-endpoint",
            url,
            "--auto-approve",
            str(EXAMPLES),
        ]
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        ) as process:
            for _ in range(400):  # until the client polls the operations it started
                stats = emulator.stats()
                polled = stats["requests"].get("GET operation.asyncStatus")
                if polled and len(stats["puts"]) >= INDEPENDENT_WORKSPACES:
                    break
                time.sleep(0.05)
            process.send_signal(stop)
            out, err = process.communicate(timeout=60)
        assert process.returncode == 130, out + err
        assert "no further changes were started" in err
        assert "still running in Azure: Workspace/" in err
        assert "mlworkspaceOperationsStatus" in err
        # The workspaces that wait for no other one were started; nothing else was.
        assert len(emulator.stats()["puts"]) == INDEPENDENT_WORKSPACES
        clock.offset += 3600  # Azure finishes the operation on its own
        # and provisions what the rerun creates at once (the project of the examples' hub).
        emulator.knobs.update({"provisioning_seconds": 0})
        rerun = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=120, check=False
        )
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        created = EXAMPLE_RESOURCES - INDEPENDENT_WORKSPACES
        assert f"{created} created" in rerun.stdout and "0 updated" in rerun.stdout
        plan = [*command[:3], "plan", *command[4:8], "--detailed-exitcode", str(EXAMPLES)]
        again = subprocess.run(
            plan, capture_output=True, text=True, env=env, timeout=120, check=False
        )
        assert again.returncode == 0, again.stdout


def test_a_failed_resource_names_its_manifest_file_and_line(azure: Azure) -> None:
    azure.emulator.knobs.lro_failure_rate = 1.0
    done = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(EXAMPLES))
    assert done.returncode == 1
    failed = next(
        line
        for line in done.stderr.splitlines()
        if line.startswith("failed: ") and "/testworkspace " in line
    )
    assert f"({EXAMPLES / 'workspace.yaml'}:3)" in failed
    assert "InternalServerError" in failed
