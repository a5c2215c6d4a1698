"""`reconciler emulator --state FILE` with a file it cannot read: one line, exit 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "content",
    ['{"workspaces": [1,', '{"workspaces": 5}', "[]", "\xff\xfe", "[" * 100_000 + "]" * 100_000],
    ids=lambda c: repr(c[:24]),
)
def test_a_corrupt_state_file_is_one_line_not_a_traceback(tmp_path: Path, content: str) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(content.encode("latin-1"))
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", "--state", str(state), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "delete it to start empty" in done.stderr
