"""`reconciler emulator` as a real process: serves on loopback and persists its state."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.linked import workspace_body

WS = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/workspace-1234/"
    "providers/Microsoft.MachineLearningServices/workspaces/persisted"
)
AUTH = {"Authorization": "Bearer t"}


@contextmanager
def _emulator(*args: str) -> Iterator[str]:
    # Port 0: the server binds a free port itself and says which. (Picking a free port here
    # and passing it on raced with every other process on the machine for that port.)
    with subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # blocks until the server is listening
            assert "listening on" in line, line
            yield line.rsplit(" ", 1)[1].strip()
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with _emulator("--state", str(state)) as url:
        put = httpx.put(
            url + WS,
            params={"api-version": "2024-04-01"},
            headers=AUTH,
            json=workspace_body("westeurope"),
        )
        assert put.status_code == 202
    with _emulator("--state", str(state)) as url:
        got = httpx.get(url + WS, params={"api-version": "2024-04-01"}, headers=AUTH)
        assert got.status_code == 200
        assert got.json()["properties"]["provisioningState"] == "Succeeded"


def test_every_knob_is_documented_in_help() -> None:
    from dataclasses import fields

    from reconciler.emulator.knobs import Knobs

    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for knob in fields(Knobs):
        assert "--" + knob.name.replace("_", "-") in done.stdout
    assert "/_emulator/" in done.stdout


@pytest.mark.parametrize(
    "args",
    [["--drop-rate", "2"], ["--page-size", "x"], ["--page-size", "0"], ["--latency-ms", "-1"]],
)
def test_a_knob_out_of_range_is_a_usage_error(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1  # a usage error, as every command's (2 means changes or drift)
    assert "error:" in done.stderr and "Traceback" not in done.stderr


def test_on_off_knobs_keep_their_default_unless_the_command_line_turns_them() -> None:
    with _emulator() as url:
        assert httpx.get(f"{url}/_emulator/knobs").json()["strict_dependencies"] is True
    with _emulator("--no-strict-dependencies", "--throttle") as url:
        knobs = httpx.get(f"{url}/_emulator/knobs").json()
    assert knobs["strict_dependencies"] is False and knobs["throttle"] is True


def test_knobs_are_settable_from_the_command_line(tmp_path: Path) -> None:
    with _emulator("--page-size", "7", "--lro-mode", "200-state", "--error-503-rate", "0") as url:
        knobs = httpx.get(f"{url}/_emulator/knobs").json()
    assert knobs["page_size"] == 7 and knobs["lro_mode"] == "200-state"
