"""``--out`` naming something that is not a regular file — a pipe (``--out >(jq …)`` is
``/dev/fd/63``), a device (``--out /dev/null``, ``/dev/stdout``) — is written into, as any tool
writes there; never replaced by a regular file. Replacing is how a plan file is written
atomically (temporary file, then rename), and it replaced what the name stood for: as root, as
CI containers run, ``plan --out /dev/null`` turned /dev/null into a regular file holding the
plan, for every later step of the job to read and append to."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import outputfile
from tests.reliability.test_one_clear_line import MANIFEST


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_plan_out_into_a_named_pipe_writes_the_plan_into_it(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    pipe = tmp_path / "plan.pipe"
    os.mkfifo(pipe)
    # The reader is there first (without blocking), as `>(jq …)` is; the plan is far below a
    # pipe's buffer, so the writer never waits for it.
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "reconciler",
                "plan",
                "--emulator",
                "--emulator-state",
                str(tmp_path / "state.json"),
                "--out",
                str(pipe),
                str(manifest),
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        received = os.read(reader, 1 << 20)
    finally:
        os.close(reader)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode), "the pipe was replaced by a regular file"
    assert json.loads(received)["summary"]["create"] == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".plan.pipe")] == []


@pytest.mark.parametrize("name", ["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/fd/1"])
def test_devices_and_descriptors_are_written_through_never_replaced(name: str) -> None:
    # Decided without writing: /dev/stdout is a link, and a link to a regular file when stdout
    # is redirected to one, which a rename would still have replaced.
    assert outputfile.written_through(Path(name))


def test_a_regular_file_or_a_new_name_is_still_replaced_atomically(tmp_path: Path) -> None:
    existing = tmp_path / "plan.json"
    existing.write_text("old", encoding="utf-8")
    assert not outputfile.written_through(existing)
    assert not outputfile.written_through(tmp_path / "new.json")
    link = tmp_path / "link.json"  # a link committed in the checkout is replaced, never followed
    link.symlink_to(existing)
    assert not outputfile.written_through(link)


def test_a_descriptor_linked_to_a_log_is_appended_to_never_truncated(tmp_path: Path) -> None:
    # `plan --out /dev/stdout >> job.log`: the link leads to the log, opened to append; opening
    # it to write truncated the log, and every line the job had written before was lost.
    log = tmp_path / "job.log"
    log.write_text("earlier step\n", encoding="utf-8")
    descriptor = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        outputfile.write_text(Path(f"/dev/fd/{descriptor}"), "the plan\n", what="plan")
    finally:
        os.close(descriptor)
    assert log.read_text(encoding="utf-8") == "earlier step\nthe plan\n"
