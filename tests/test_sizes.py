"""Modules stay a few hundred lines and functions fit on a screen, so each has one job.

No module over :data:`MAX_MODULE_LINES` lines, no function (or method, or nested function)
over :data:`MAX_FUNCTION_LINES`, from its ``def`` to its last line. The exceptions are named
here with their reason: declarative tables (data written as code, read top to bottom, which
splitting would only scatter) in :data:`TABLES`, and offenders whose owner's branch is
splitting them in :data:`PENDING` (the lead empties it as those branches land). An entry
that no longer offends fails too, so that neither list outlives its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60

# "path" for a module, "path:qualified.name" for a function -> why it may be longer.
TABLES: dict[str, str] = {}

# The same keys -> who is splitting it.
PENDING: dict[str, str] = {}


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, ast.AST]]:
    """Every function in ``tree`` by qualified name (``Class.method``, ``outer.inner``)."""
    found: list[tuple[str, ast.AST]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                found.append((name, node))
            found += _functions(node, f"{name}.")
        else:
            found += _functions(node, prefix)
    return found


def _sizes() -> dict[str, int]:
    """Lines of every module and every function of the package, by the keys above."""
    sizes: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        module = path.relative_to(PACKAGE.parent).as_posix()
        sizes[module] = len(text.splitlines())
        for name, node in _functions(ast.parse(text)):
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            sizes[f"{module}:{name}"] = (node.end_lineno or node.lineno) - node.lineno + 1
    return sizes


def _limit(key: str) -> int:
    return MAX_FUNCTION_LINES if ":" in key else MAX_MODULE_LINES


SIZES = _sizes()


def test_no_module_or_function_is_over_its_limit() -> None:
    over = {k: n for k, n in SIZES.items() if n > _limit(k) and k not in TABLES | PENDING}
    assert not over, (
        f"over {MAX_MODULE_LINES} lines a module or {MAX_FUNCTION_LINES} a function "
        f"(split it by job): {over}"
    )


def test_every_exception_still_needs_to_be_one() -> None:
    stale = {k: SIZES.get(k) for k in TABLES | PENDING if SIZES.get(k, 0) <= _limit(k)}
    assert not stale, f"within the limit now, or gone: remove from TABLES or PENDING: {stale}"


def test_the_measure_counts_what_it_should() -> None:
    tree = ast.parse(
        "class A:\n    def f(self):\n        def g():\n            pass\n        return g\n"
        "async def h():\n    pass\n"
    )
    names = {name: node.end_lineno - node.lineno + 1 for name, node in _functions(tree)}
    assert names == {"A.f": 4, "A.f.g": 2, "h": 2}
