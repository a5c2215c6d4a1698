"""The layering the code relies on, checked: read, decide and write stay apart.

* the planner and the renderers do no I/O (no HTTP client, no emulator, no applier);
* manifests know nothing of Azure; the emulator knows nothing of the tool that calls it;
* the CLI's start-up imports no heavy module (CI pays for every process start).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"

FORBIDDEN = {
    "reconciler/plan": (
        "httpx",
        "reconciler.arm",
        "reconciler.emulator",
        "reconciler.apply",
        "reconciler.read.live",
        "reconciler.read.playwright",
        "reconciler.session",
    ),
    "reconciler/render": (
        "httpx",
        "reconciler.arm",
        "reconciler.emulator",
        "reconciler.apply",
        "reconciler.read.live",
        "reconciler.read.playwright",
        "reconciler.session",
    ),
    "reconciler/manifest": (
        "httpx",
        "reconciler.arm",
        "reconciler.emulator",
        "reconciler.plan",
        "reconciler.apply",
        "reconciler.read.live",
        "reconciler.read.playwright",
    ),
    "reconciler/emulator": (
        "reconciler.plan",
        "reconciler.apply",
        "reconciler.read.live",
        "reconciler.read.playwright",
        "reconciler.arm",
        "reconciler.manifest",
        "reconciler.session",
    ),
    "reconciler/playwright/audit.py": ("httpx", "reconciler.arm.client"),
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("area", sorted(FORBIDDEN))
def test_layer_does_not_import_what_it_must_not(area: str) -> None:
    root = PACKAGE.parent / area
    files = [root] if root.suffix == ".py" else sorted(root.rglob("*.py"))
    assert files
    for file in files:
        for module in _imports(file):
            for banned in FORBIDDEN[area]:
                assert not (module == banned or module.startswith(banned + ".")), (
                    f"{file.relative_to(PACKAGE.parent)} imports {module}"
                )


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
