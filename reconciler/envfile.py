"""Read ``KEY=VALUE`` files (``--env-file``), as docker compose and many CI systems write them.

Values from the file fill in what the process environment lacks; the real environment wins,
so a pipeline can override a checked-in file of non-secret defaults. A file may set values
only, never the tool's own settings (``RECONCILER_*``): it is as untrusted as the manifests.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from reconciler import textfile
from reconciler.errors import UsageError
from reconciler.manifest import envsubst

# The tool's own settings (RECONCILER_ARM_ENDPOINT decides where the ARM token goes).
RESERVED_PREFIX = "RECONCILER_"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_BYTES = 1024 * 1024  # an env file of a megabyte is a mistake, not a configuration
_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def parse(text: str, source: str) -> dict[str, str]:
    """``KEY=VALUE`` lines. A leading byte order mark is not part of the first line: Windows
    editors and PowerShell's ``Out-File -Encoding utf8`` start UTF-8 files with one."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            # Never echo the line: it may hold a secret.
            raise UsageError(f"{source}:{number}: expected KEY=VALUE")
        if match.group(1).upper().startswith(RESERVED_PREFIX):
            raise UsageError(
                f"{source}:{number}: {match.group(1)} configures the tool itself and cannot come "
                "from an env file (a file in the repository): give it on the command line or "
                "in the process environment; an env file sets values for ${VAR} and fromEnv only"
            )
        value = _value(match.group(2).strip())
        if value is None:
            raise UsageError(
                f"{source}:{number}: {match.group(1)}'s quoted value has no closing quote, or "
                "text after it that is not a comment" + _escaped_quote_hint(match.group(2).strip())
            )
        values[match.group(1)] = value
    return values


def _value(text: str) -> str | None:
    """A value as docker compose reads it: inside quotes, everything up to the closing quote
    (what follows may only be a ``# comment``); unquoted, everything up to a ``#`` that follows
    whitespace. Kept whole, ``KEY=abc # note`` or ``KEY="abc"  # note`` sent a secret nobody
    wrote. None when a quote is not closed or stray text follows it."""
    if text[:1] in ("'", '"'):
        end = _closing(text)
        if end < 0:
            return None
        rest = text[end + 1 :].strip()
        return _unescaped(text[1:end], text[0]) if not rest or rest.startswith("#") else None
    return _INLINE_COMMENT.split(text, maxsplit=1)[0]


_INLINE_COMMENT = re.compile(r"\s+#")
# What a backslash means in double quotes, as compose documents it; any other is kept as
# written (a Windows path's ``C:\x`` is not quietly changed).
_DOUBLE_QUOTED_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"'}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _unescaped(inner: str, quote: str) -> str:
    """A quoted value's escapes read as compose reads them: in double quotes ``\\n``, ``\\r``,
    ``\\t``, ``\\\\`` and ``\\"``; in single quotes ``\\'`` only. Read as written, a PEM key
    put on one line with ``\\n`` was sent to Azure with literal backslash-n's, broken, and
    no word said."""
    if quote == "'":
        return inner.replace("\\'", "'")
    return _ESCAPE.sub(lambda m: _DOUBLE_QUOTED_ESCAPES.get(m.group(1), m.group(0)), inner)


def _escaped_quote_hint(text: str) -> str:
    """Why a quote that looks closed is not: a backslash before it escapes it (``'C:\\'``),
    as compose reads it. Said without the value, which may be a secret."""
    quote = text[:1]
    if quote in ("'", '"') and text.rstrip().endswith("\\" + quote):
        which = "single" if quote == "'" else "double"
        return f" (a backslash before a {which} quote escapes it)"
    return ""


def _closing(text: str) -> int:
    """Where the quote opening ``text`` closes (-1: never); in double quotes a backslash
    escapes the next character, in single quotes a quote."""
    quote, index = text[0], 1
    while index < len(text):
        if text[index] == "\\" and (quote == '"' or text[index + 1 : index + 2] == "'"):
            index += 2
            continue
        if text[index] == quote:
            return index
        index += 1
    return -1


def read(files: Iterable[Path]) -> dict[str, str]:
    """The values of the env files, later files winning."""
    merged: dict[str, str] = {}
    for file in files:
        try:
            text = textfile.read_text(file, limit=MAX_BYTES, pipes=True)
        except textfile.TextFileError as error:
            # Never quote the bytes: the file may hold secrets.
            where = f"{file}:{error.line}:{error.column}" if error.line else str(file)
            raise UsageError(f"cannot read env file {where}: {error.reason}") from None
        merged.update(parse(text, str(file)))
    return merged


def environment(files: Iterable[Path], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """What secret references (``fromEnv``) read: the env files, the real environment winning."""
    return {**read(files), **(os.environ if base is None else base)}


def assignments(values: Iterable[str]) -> dict[str, str]:
    """``--var NAME=VALUE`` arguments (never echoed: a value may be sensitive)."""
    found: dict[str, str] = {}
    for number, value in enumerate(values, start=1):
        name, sep, text = value.partition("=")
        if not sep or not _NAME.fullmatch(name):
            raise UsageError(f"--var (occurrence {number}) expects NAME=VALUE")
        found[name] = text
    return found


def inputs(files: Iterable[Path], given: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(what secret references read, what ``${VAR}`` reads), each env file read once (it may
    be a pipe). Secrets: env files, the real environment winning. Variables (see
    reconciler.manifest.envsubst): env files, RECONCILER_VAR_* from the environment, --var."""
    values = read(files)
    env = {**values, **os.environ}
    return env, envsubst.variables(values, os.environ, assignments(given))
