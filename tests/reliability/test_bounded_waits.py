"""The fault matrix, for waits: a server that trickles its answer, or that asks for absurd
waits, ends the CLI within its limits with one clear line — it never hangs a pipeline."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.emulator import DEFAULT_SUBSCRIPTION
from tests.slowloris import slow_loris

MANIFEST = f"""apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-1, subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: rg-1}}
spec: {{location: westeurope, properties: {{description: one}}}}
"""


def test_a_slow_loris_answer_ends_plan_at_the_request_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    with slow_loris(lasts=5.0) as url:
        started = time.monotonic()
        code = main(
            ["plan", "--endpoint", url, "--request-timeout", "0.5", "--retries", "0", str(manifest)]
        )
        elapsed = time.monotonic() - started
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert "timed out: no complete answer within 0.5 s" in err[0]
    assert elapsed < 3.0


def test_a_refused_connection_says_what_it_retries_and_ends_quickly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    code = main(["plan", "--endpoint", f"http://127.0.0.1:{port}", str(manifest)])
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("error: ") and "connection refused" in err[-1]
    retries = err[:-1]
    assert retries and all("connection refused" in line and "retry" in line for line in retries)
    assert elapsed < 5.0
