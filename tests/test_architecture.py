"""What the import contract cannot say: the CLI's start-up stays light.

The layering itself (read, decide, write and render apart; the emulator independent; plan
and render free of I/O) is the contract in ``.importlinter``, checked by ``lint-imports`` in
the README's test command. Here: the CLI's start-up and ``validate`` import no heavy module
(CI and pre-commit hooks pay for every process start).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("httpx", "jsonschema", "azure", "rich", "ruamel", "uvicorn", "httptools", "cryptography")


def _modules_loaded_by(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_starting_the_cli_imports_no_heavy_module() -> None:
    assert _modules_loaded_by("import reconciler.cli") & set(HEAVY) == set()


def test_validate_reaches_no_network_or_server_module(repo: Path) -> None:
    """validate runs in pre-commit hooks and editors: no HTTP client, identity, emulator
    server or terminal UI on its path (each costs start-up time on every commit)."""
    examples = repo / "manifests" / "examples"
    argv = ["validate", "--env-file", str(examples / "demo.env"), str(examples)]
    code = f"from reconciler.cli import main\nassert main({argv!r}) == 0"
    loaded = _modules_loaded_by(code)
    assert loaded & {"httpx", "azure", "rich", "uvicorn", "httptools", "cryptography"} == set()
