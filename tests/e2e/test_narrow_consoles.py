"""Consoles that cannot write every character: a Windows runner's pipe (cp1252) or a job with
``PYTHONIOENCODING=ascii``. The CI templates redirect the Markdown plan (``> plan.md``) there;
the plan must arrive whole, with what the encoding lacks escaped, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import CANARIES, EXAMPLES, Azure


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
@pytest.mark.parametrize("form", ["markdown", "text"])
def test_a_plan_reaches_a_console_that_cannot_encode_it_whole(
    azure: Azure, tmp_path: Path, encoding: str, form: str
) -> None:
    args = ["plan", "--endpoint", azure.url, "--playwright-endpoint", azure.url]
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args, "--format", form, str(EXAMPLES)],
        cwd=tmp_path,
        env={**os.environ, **CANARIES, "PYTHONIOENCODING": encoding},
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(encoding)
    assert done.stderr == b""
    out = done.stdout.decode(encoding)
    assert "call(s) to Azure" in out
    if encoding == "ascii":
        assert "\\u2026" in out or "\\u2705" in out
