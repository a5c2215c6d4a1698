"""What the project declares, locks and imports agree.

- Every runtime dependency in pyproject.toml is imported by the package (or has a stated
  reason not to be), and every third-party module the package imports is declared.
- Both locks pin every declared dependency at a version its range allows, with hashes, so CI
  and the templates install exactly what was tested.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
TEST_EXTRA = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["test"]]

# Declared but never imported by name, each for a reason.
LOADED_INDIRECTLY = {
    "ruamel-yaml-clib": "the C composer ruamel.yaml loads itself",
    "httptools": "the C HTTP parser uvicorn loads for the emulator",
}


# Namespace packages shared by many distributions: `azure.identity` is azure-identity.
NAMESPACES = {"azure"}


def _imported_modules(package: Path) -> set[str]:
    """Top-level names the package imports (two levels inside a shared namespace)."""

    def root(dotted: str) -> str:
        parts = dotted.split(".")
        return ".".join(parts[:2]) if parts[0] in NAMESPACES else parts[0]

    modules: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(root(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(root(node.module))
    return modules


def _imported_distributions() -> set[str]:
    by_module = packages_distributions()
    found: set[str] = set()
    for module in _imported_modules(REPO / "reconciler"):
        if module.split(".")[0] in sys.stdlib_module_names or module == "reconciler":
            continue
        if "." in module:  # azure.identity -> azure-identity
            found.add(canonicalize_name(module.replace(".", "-")))
        else:
            found.update(canonicalize_name(d) for d in by_module.get(module, [module]))
    return found


def test_every_runtime_dependency_is_used() -> None:
    imported = _imported_distributions()
    unused = {
        canonicalize_name(r.name)
        for r in RUNTIME
        if canonicalize_name(r.name) not in imported | LOADED_INDIRECTLY.keys()
    }
    assert not unused, f"declared in pyproject.toml but never imported: {sorted(unused)}"


def test_every_imported_distribution_is_declared() -> None:
    declared = {canonicalize_name(r.name) for r in RUNTIME}
    undeclared = _imported_distributions() - declared
    assert not undeclared, f"imported by reconciler/ but not declared: {sorted(undeclared)}"


def _locked(lock: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) from a `uv pip compile --generate-hashes` file."""
    text = lock.read_text(encoding="utf-8")
    pins: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=\S)", text):
        match = re.match(r"([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)", block)
        if match:
            name = canonicalize_name(match.group(1).split("[")[0])
            pins[name] = (match.group(2), block.count("--hash=sha256:"))
    return pins


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [("run.lock", RUNTIME), ("test.lock", RUNTIME + TEST_EXTRA)],
)
def test_the_lock_pins_every_declared_dependency_with_hashes(
    lock: str, requirements: list[Requirement]
) -> None:
    pins = _locked(REPO / "requirements" / lock)
    assert pins and all(hashes for _, hashes in pins.values()), f"{lock}: a pin without hashes"
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} lacks {name}: run .ci/lock"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {name}=={version}, outside pyproject's {requirement.specifier}: "
            "run .ci/lock"
        )


def test_the_test_lock_includes_the_run_lock_exactly() -> None:
    run = _locked(REPO / "requirements" / "run.lock")
    test = _locked(REPO / "requirements" / "test.lock")
    assert {n: v for n, (v, _) in run.items()} == {n: test[n][0] for n in run if n in test}
    assert run.keys() <= test.keys()
