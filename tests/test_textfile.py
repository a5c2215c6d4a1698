"""Reading a text file asks for its size, not the limit, and still reads what it has now."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler import textfile


def _stat_says(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """The file as stat saw it before it grew."""
    fstat = os.fstat

    def shrunk(fd: int) -> os.stat_result:
        info = list(fstat(fd))
        info[6] = size  # st_size
        return os.stat_result(info)

    monkeypatch.setattr(textfile.os, "fstat", shrunk)


@pytest.mark.parametrize("seen", [0, 5, 99, 100])
def test_a_file_that_grew_after_its_stat_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seen: int
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("x" * 100)
    _stat_says(monkeypatch, seen)
    assert textfile.read_text(path, limit=100) == "x" * 100


def test_a_file_that_grew_past_the_limit_after_its_stat_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("x" * 101)
    _stat_says(monkeypatch, 10)
    with pytest.raises(textfile.TextFileError, match="larger than 100 bytes"):
        textfile.read_text(path, limit=100)


def test_a_pipe_is_read_until_its_writer_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its size says 0: what it holds is read on to the end (its writer closes it once the
    reader has it open, so the text waits in the pipe)."""
    fifo = tmp_path / "vars"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR)  # Linux: a FIFO opened both ways does not wait
    os.write(writer, b"A=1\n" * 50)
    set_blocking = os.set_blocking

    def then_closed(fd: int, blocking: bool) -> None:
        set_blocking(fd, blocking)
        os.close(writer)

    monkeypatch.setattr(textfile.os, "set_blocking", then_closed)
    assert textfile.read_text(fifo, limit=1000, pipes=True) == "A=1\n" * 50
