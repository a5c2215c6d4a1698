"""`reconciler emulator` as a command: its start banner is a promise that Ctrl-C stops it."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

import pytest

from reconciler.emulator import command


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(["--port", "0", *argv])


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_ctrl_c_the_moment_the_banner_is_printed_stops_the_emulator(
    tmp_path: Path, https: bool
) -> None:
    """A user (or a test harness) who presses Ctrl-C as soon as the banner appears gets a
    stopped emulator, not one left serving because the signal arrived mid-start-up."""
    shown: list[str] = []

    def announce(url: str, certificate: Path | None) -> str:
        shown.append(url)
        signal.raise_signal(signal.SIGINT)  # delivered before the banner is even printed
        return f"emulator listening on {url}"

    argv = ["--state", str(tmp_path / "state.json"), *(["--https"] if https else [])]
    assert command.run(_args(*argv), announce=announce) == 0
    assert len(shown) == 1 and shown[0].startswith("https://" if https else "http://")
