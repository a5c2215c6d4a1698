"""Read ``KEY=VALUE`` files (``--env-file``), as docker compose and many CI systems write them.

Values from the file fill in what the process environment lacks; the real environment wins,
so a pipeline can override a checked-in file of non-secret defaults.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from reconciler import textfile
from reconciler.errors import UsageError

MAX_BYTES = 1024 * 1024  # an env file of a megabyte is a mistake, not a configuration

_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def parse(text: str, source: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            # Never echo the line: it may hold a secret.
            raise UsageError(f"{source}:{number}: expected KEY=VALUE")
        value = match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[match.group(1)] = value
    return values


def environment(files: Iterable[Path], base: Mapping[str, str] | None = None) -> dict[str, str]:
    merged: dict[str, str] = {}
    for file in files:
        try:
            text = textfile.read_text(file, limit=MAX_BYTES, pipes=True)
        except textfile.TextFileError as error:
            # Never quote the bytes: the file may hold secrets.
            where = f"{file}:{error.line}:{error.column}" if error.line else str(file)
            raise UsageError(f"cannot read env file {where}: {error.reason}") from None
        merged.update(parse(text, str(file)))
    merged.update(os.environ if base is None else base)
    return merged
