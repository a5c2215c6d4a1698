"""Which files a set of command-line paths names: the manifests to read.

A file named is read; below a named directory every ``*.yaml``/``*.yml`` file is, except one
that resolves out of the repository (a link a pull request added must not read the runner's
files as manifests). Nothing here parses YAML.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from reconciler.errors import Problem
from reconciler.manifest import secretfile
from reconciler.manifest.secretfile import OUT_OF_REPOSITORY

SUFFIXES = (".yaml", ".yml")


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Files named on the command line, and ``*.yaml``/``*.yml`` below named directories."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
            # A link a pull request added must not read the runner's files as manifests.
            root = secretfile.repository_root(path)
            for p in found:
                if Path(os.path.realpath(p)).is_relative_to(root):
                    files.append(p)
                else:
                    problems.append(Problem(p, None, "", OUT_OF_REPOSITORY))
        elif path.is_file():
            files.append(path)
        elif path.exists():
            # A FIFO or a device would block or never end: only regular files are read.
            problems.append(Problem(path, None, "", "not a regular file or a directory"))
        else:
            problems.append(Problem(path, None, "", "no such file or directory"))
    # One file named twice (``m`` and ``./m/../m``, or a link to it) is read once: it declares
    # nothing twice. The first name given is the one messages use.
    first: dict[str, Path] = {}
    for file in files:
        first.setdefault(os.path.realpath(file), file)
    return list(first.values()), problems
