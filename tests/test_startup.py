"""The start-up budget, held by what the start-up path imports rather than by a stopwatch.

CI starts a new process for every step, and pre-commit hooks run ``validate`` on every commit:
the goals are ``reconciler --version`` within 50 ms and ``validate`` of the examples within
200 ms of a bare interpreter (``python bench/startup_and_memory.py`` measures both). Wall-clock
time on a shared CI machine is noise, so these tests read ``python -X importtime`` of the real
command instead: every package outside the standard library it imports must be on an allow
list, and heavy parts of the standard library must stay off it. A module that lands on the
path fails here with its import time; move its import into the function that needs it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "manifests" / "examples"
# Not packages of their own: ruamel.yaml's C composer (positions, ~6x faster parsing) is
# Cython-built, and the standard library's copy module tries Jython's org.python.core.
NOT_PACKAGES = {"cython_runtime", "org"}
ALLOWED = {
    "--version": {"reconciler"},
    # jsonschema (~100 ms to import) is not here: valid documents never reach it
    "validate": {"reconciler", "ruamel", "_ruamel_yaml", "jsonschema_rs"},
}
# Standard-library packages that cost tens of milliseconds and that neither command needs.
HEAVY_STDLIB = {"asyncio", "ssl", "http", "concurrent", "multiprocessing", "sqlite3", "xml"}
COMMANDS = {
    "--version": ["--version"],
    "validate": ["validate", "--env-file", str(EXAMPLES / "demo.env"), str(EXAMPLES)],
}


def _imported(args: list[str]) -> dict[str, int]:
    """Every package ``python -X importtime ARGS`` imports, with its longest cumulative import
    time in microseconds."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=True
    )
    found: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        top = name.strip().split(".")[0]
        found[top] = max(found.get(top, 0), int(cumulative))
    return found


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_start_up_path_imports_only_what_the_command_needs(command: str) -> None:
    bare = _imported(["-c", "pass"])
    loaded = {
        name: micros
        for name, micros in _imported(["-m", "reconciler", *COMMANDS[command]]).items()
        if name not in bare
    }
    outside = {
        name: micros
        for name, micros in loaded.items()
        if name not in sys.stdlib_module_names
        and name not in NOT_PACKAGES
        and not name.startswith("_cython_")
    }
    unexpected = {n: m for n, m in outside.items() if n not in ALLOWED[command]}
    heavy = {n: m for n, m in loaded.items() if n in HEAVY_STDLIB}
    assert not unexpected | heavy, {
        n: f"{m / 1000:.1f} ms" for n, m in (unexpected | heavy).items()
    }


def test_an_invalid_document_still_gets_jsonschemas_messages(tmp_path: Path) -> None:
    """The other side of the budget: jsonschema is imported when there is something to say."""
    manifest = tmp_path / "ws.yaml"
    manifest.write_text(
        "apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {name: ws-one}\n"
        "spec: {location: westeurope, properties: {friendlyNme: x}}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", str(manifest)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "unknown field 'friendlyNme' (did you mean 'friendlyName'?)" in done.stdout + done.stderr


def _modules(args: list[str]) -> set[str]:
    """Every module ``python -X importtime ARGS`` imports, by its full name."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=True
    )
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "cumulative" not in line
    }


def test_version_is_answered_by_the_entry_point_alone() -> None:
    """``--version`` is asked in every CI job: it builds no parser and imports no command (the
    parser and its options were ~20 ms of a 60 ms answer)."""
    # The baseline imports what python -m itself needs (runpy and its imports), whatever a
    # machine's .pth files happen to have loaded already.
    loaded = _modules(["-m", "reconciler", "--version"]) - _modules(["-c", "import runpy"])
    assert loaded <= {"gc", "reconciler", "reconciler.__main__", "reconciler.cli"}, sorted(loaded)
