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
    stderr_once_the_reader_goes,
)
from tests.linked import LINKED_YAML

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


def _plan_of_testworkspace(azure: Azure, tmp_path: Path) -> Path:
    """`plan --target testworkspace --out`: the saved plan's path."""
    saved = tmp_path / "plan.json"
    made = azure.process(
        "plan", "--endpoint", azure.url, "--target", "testworkspace", "--out", str(saved),
        str(EXAMPLES),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return saved


def test_a_saved_plan_made_with_target_applies_that_slice_without_repeating_it(
    azure: Azure, tmp_path: Path
) -> None:
    """`plan --target X --out p.json` then `apply --plan p.json`: the reviewer approved X,
    so apply plans X again (as Terraform's saved plans carry their targeting) and creates
    nothing else. Before, the whole estate was planned and refused as "the set of resources
    changed"."""
    saved = _plan_of_testworkspace(azure, tmp_path)
    assert json.loads(saved.read_text(encoding="utf-8"))["targets"] == ["testworkspace"]
    applied = azure.process("apply", "--endpoint", azure.url, "--plan", str(saved), str(EXAMPLES))
    assert applied.returncode == 0, applied.stderr
    created = {path.rsplit("/", 1)[-1] for path in azure.emulator.stats()["puts"]}
    assert "testworkspace" in created and "isolated-workspace" not in created, created


def test_applying_a_targeted_plan_with_other_targets_is_refused_before_reading_azure(
    azure: Azure, tmp_path: Path
) -> None:
    saved = _plan_of_testworkspace(azure, tmp_path)
    before = azure.emulator.stats()["total"]
    other = azure.process(
        "apply", "--endpoint", azure.url, "--plan", str(saved), "--target", "team-hub",
        str(EXAMPLES),
    )  # fmt: skip
    assert other.returncode == 1
    assert other.stderr.count("\n") == 1 and "Traceback" not in other.stderr, other.stderr
    assert "was made with --target 'testworkspace'" in other.stderr, other.stderr
    assert azure.emulator.stats()["total"] == before
    # The same targets, in another case, are the same slice.
    same = azure.process(
        "apply", "--endpoint", azure.url, "--plan", str(saved), "--target", "TestWorkspace",
        str(EXAMPLES),
    )  # fmt: skip
    assert same.returncode == 0, same.stderr


def test_a_targeted_saved_plan_whose_target_the_manifests_no_longer_declare_is_stale(
    azure: Azure, tmp_path: Path
) -> None:
    """The hub the plan was cut to is renamed in the manifests: apply says the manifests
    changed (plan again), not "--target 'team-hub' matches nothing", a flag nobody typed."""
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    saved = tmp_path / "plan.json"
    made = azure.process(
        "plan", "--endpoint", azure.url, "--target", "team-hub", "--out", str(saved),
        str(manifests),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    hub = manifests / "hub.yaml"
    hub.write_text(hub.read_text(encoding="utf-8").replace("team-hub", "team-hub2"), "utf-8")
    applied = azure.process("apply", "--endpoint", azure.url, "--plan", str(saved), str(manifests))
    assert applied.returncode == 1
    assert "the manifests changed since" in applied.stderr, applied.stderr
    assert azure.emulator.stats()["puts"] == {}


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


def _ignore_sigint() -> None:
    """What a non-interactive shell does to a job it starts with ``&``: inherited by exec."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _await_polling_after_the_puts(emulator: Emulator) -> None:
    """Wait until the client has started every workspace it can and polls them, by list or
    by operation, whichever it chooses; fail, rather than go on, if it never does."""
    gets_after_puts = None
    for _ in range(400):
        stats = emulator.stats()
        gets = sum(n for key, n in stats["requests"].items() if key.startswith("GET "))
        if gets_after_puts is None and len(stats["puts"]) >= INDEPENDENT_WORKSPACES:
            gets_after_puts = gets
        elif gets_after_puts is not None and gets > gets_after_puts:
            return
        time.sleep(0.05)
    raise AssertionError(f"the client never polled after its PUTs: {emulator.stats()}")


@pytest.mark.parametrize(
    ("stop", "background"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGTERM, True)],
    ids=["ctrl-c", "sigterm", "sigterm-with-sigint-ignored"],
)
def test_ctrl_c_reports_operations_in_flight_and_a_rerun_converges(
    tmp_path: Path, stop: signal.Signals, background: bool
) -> None:
    """Ctrl-C, or SIGTERM as CI sends it to cancel a job, also to one a script started in
    the background (``reconciler apply … &``), where SIGINT is ignored."""
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
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            preexec_fn=_ignore_sigint if background else None,
        ) as process:
            _await_polling_after_the_puts(emulator)
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
        emulator.knobs.update({"provisioning_seconds": 0, "retry_after_seconds": 0})
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


def test_a_reader_that_closes_the_output_mid_apply_leaves_the_running_operations_listed(
    tmp_path: Path,
) -> None:
    """`apply --auto-approve | head`: the reader goes mid-apply. Nothing new
    is started, and the operation already running in Azure is listed on stderr, as on Ctrl-C
    (before: one line, "broken pipe", and no word of what was still running)."""
    manifest = tmp_path / "one.yaml"
    manifest.write_text(
        "apiVersion: reconciler/v1\nkind: Defaults\n"
        f"spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: rg-piped, "
        "location: westeurope}\n---\napiVersion: reconciler/v1\nkind: Workspace\n"
        f"metadata: {{name: ws-piped}}\nspec: {{properties: {{{LINKED_YAML}}}}}\n",
        encoding="utf-8",
    )
    clock = _Clock()
    emulator = Emulator(
        knobs=Knobs(provisioning_seconds=3600),
        clock=clock,
        resource_groups=((DEFAULT_SUBSCRIPTION, "rg-piped"),),
    )
    with running(emulator) as url:
        command = [sys.executable, "-m", "reconciler", "apply", "--endpoint", url]
        # Gone once the workspace is started: every poll of its operation (provisioning never
        # ends on the emulator's stopped clock) writes a line that meets the pipe.
        err = stderr_once_the_reader_goes(
            [*command[3:], "--auto-approve", str(manifest)], after="ws-piped  started"
        )
        assert "reader closed it early (broken pipe): no further changes were started" in err
        assert "still running in Azure: Workspace/" in err and "/ws-piped (" in err, err
        assert "mlworkspaceOperationsStatus" in err, err
        clock.offset += 3600  # Azure finishes on its own; the next plan finds nothing to do
        again = subprocess.run(
            [*command[:3], "plan", *command[4:], "--detailed-exitcode", str(manifest)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert again.returncode == 0, again.stdout + again.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="prlimit on another process is Linux's")
def test_output_that_stops_growing_mid_apply_leaves_the_running_operations_listed(
    tmp_path: Path,
) -> None:
    """`apply --auto-approve > apply.log` on a disk that fills mid-apply: as when the reader
    goes, nothing new is started and the operation running in Azure is listed on stderr
    (before: one line, "cannot write the output", and no word of what was still running)."""
    import resource

    manifest = tmp_path / "one.yaml"
    manifest.write_text(
        "apiVersion: reconciler/v1\nkind: Defaults\n"
        f"spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: rg-full, "
        "location: westeurope}\n---\napiVersion: reconciler/v1\nkind: Workspace\n"
        f"metadata: {{name: ws-full}}\nspec: {{properties: {{{LINKED_YAML}}}}}\n",
        encoding="utf-8",
    )
    emulator = Emulator(
        knobs=Knobs(provisioning_seconds=3600),
        clock=_Clock(),  # stopped: provisioning never ends, every poll writes a line
        resource_groups=((DEFAULT_SUBSCRIPTION, "rg-full"),),
    )
    log = tmp_path / "apply.log"
    with running(emulator) as url, log.open("wb") as out:
        command = [sys.executable, "-m", "reconciler", "apply", "--endpoint", url]
        with subprocess.Popen(
            [*command, "--auto-approve", str(manifest)], stdout=out, stderr=subprocess.PIPE
        ) as process:
            for _ in range(1200):  # until the workspace is started
                if b"ws-full  started" in log.read_bytes() or process.poll() is not None:
                    break
                time.sleep(0.05)
            size = log.stat().st_size  # the disk is full from here on
            resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (size, size))
            assert process.stderr is not None
            err = process.stderr.read().decode()
            assert process.wait(timeout=60) == 1, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert "cannot write the output (stdout): File too large: no further changes were" in err
    assert "still running in Azure: Workspace/" in err and "/ws-full (" in err, err


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
    # The operation's failure had no HTTP status of its own: none is made up.
    assert "HTTP 0" not in failed, failed
