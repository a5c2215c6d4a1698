"""Reading a user's text file safely: regular files only, size checked before reading, UTF-8
errors reported by line and column.

A FIFO or a device named as a manifest would block or read forever, and a huge file would be
read whole before any limit applied; so the file is ``stat``-ed first and read through a
bounded read. Decoding errors name the line and column an editor shows, not a byte offset.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class TextFileError(Exception):
    """Why a file could not be read as text; ``line``/``column`` when the bytes were bad."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def read_text(path: Path, *, limit: int, pipes: bool = False) -> str:
    """The UTF-8 text of ``path``, or :class:`TextFileError` saying why not (never OSError).

    ``pipes`` also admits a pipe or FIFO (``--env-file <(vault read …)``): read until its
    writer closes it, and never more than ``limit``. Devices and directories never."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise TextFileError(f"cannot read: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
        if pipes and stat.S_ISFIFO(info.st_mode):
            os.set_blocking(fd, True)
        elif not stat.S_ISREG(info.st_mode):
            raise TextFileError("not a regular file")
        if info.st_size > limit:
            raise TextFileError(f"file is larger than {_size(limit)}")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            # Asked for its size, not the limit: a read allocates what it is asked for (5 MiB
            # for a manifest, ~30 µs a file). The file may grow between stat and read (a pipe
            # says 0): when it fills what was asked, the rest is read, up to one past the limit.
            wanted = min(info.st_size, limit) + 1
            raw = handle.read(wanted)
            if len(raw) == wanted <= limit:
                raw += handle.read(limit + 1 - wanted)
    except OSError as exc:
        raise TextFileError(f"cannot read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise TextFileError(f"file is larger than {_size(limit)}")
    return decode(raw)


def decode(raw: bytes) -> str:
    """``raw`` as UTF-8, or :class:`TextFileError` naming the line and column of the bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise TextFileError(
            f"not UTF-8 text (invalid byte 0x{raw[exc.start]:02x} at line {line}, column {column})",
            line,
            column,
        ) from None


def _size(limit: int) -> str:
    mib = limit / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{limit} bytes"
