"""What ``plan`` imports, held by the modules loaded in the real command's process run against
the emulator served on loopback (tests/test_startup.py holds ``--version`` and ``validate`` by
``python -X importtime``).

Importing httpx loads its own command line (rich, click, pygments) and httpcore loads trio when
it is installed; the CLI runs neither, and together they cost about 90 ms of every plan. The
entry point (:func:`reconciler.cli.run`) marks them absent for the CLI process only: a program
importing the package keeps them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from reconciler.cli import NOT_IN_THE_CLI
from tests.e2e.conftest import CANARIES, EXAMPLES, Azure

# rich is the apply progress view's (imported there, on a terminal only); click and pygments
# are httpx's command line's, and so is httpx._main itself.
NOT_ON_THE_PLAN_PATH = {"httpx._main", "trio", "rich", "click", "pygments"}


# ``python -m reconciler ARGS``, reporting on stderr at exit the modules it loaded (a name mapped
# to None in sys.modules was marked absent, not loaded).
_RUN_AND_LIST = (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: print('LOADED', *sorted(n for n, m in sys.modules.items() if m),"
    " file=sys.stderr))\n"
    "runpy.run_module('reconciler', run_name='__main__', alter_sys=True)\n"
)


def _loaded(args: list[str], env: dict[str, str]) -> tuple[int, set[str]]:
    """The exit code of ``python -m reconciler ARGS`` and every module loaded in it."""
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    listed = [line for line in done.stderr.splitlines() if line.startswith("LOADED ")]
    assert listed, done.stderr
    return done.returncode, set(listed[-1].split()[1:])


def test_plan_imports_neither_httpxs_command_line_nor_trio(azure: Azure, tmp_path: Path) -> None:
    code, modules = _loaded(
        [
            "plan",
            "--endpoint",
            azure.url,
            "--playwright-endpoint",
            azure.url,
            "--env-file",
            str(EXAMPLES / "demo.env"),
            "--format",
            "json",
            str(EXAMPLES),
        ],
        {**CANARIES, "PLAYWRIGHT_ENDPOINT": azure.url},
    )
    assert code == 0
    assert {"httpx", "httpcore", "reconciler.render.json"} <= modules  # it did plan
    assert not {m for m in modules if m in NOT_ON_THE_PLAN_PATH or m.startswith("trio.")}


def test_importing_the_cli_keeps_httpxs_command_line_for_a_library_user() -> None:
    """Only the entry point marks the modules absent, not importing the package."""
    script = (
        "import sys, reconciler.cli, httpx\n"
        f"assert not [n for n in {NOT_IN_THE_CLI!r} if n in sys.modules and not sys.modules[n]]\n"
        "assert sys.modules['httpx._main'] is not None\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
