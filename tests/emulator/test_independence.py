"""The emulator is an independent ARM: it imports nothing of the product it is used to test,
and its schemas are its own, generated from the API definitions and kept up to date."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.emulator import specgen

REPO = Path(__file__).resolve().parents[2]
SHARED_SPECS = REPO.parent / "shared" / "specs"
PRODUCT = (
    "reconciler.plan",
    "reconciler.manifest",
    "reconciler.schemas",
    "reconciler.arm",
    "reconciler.read",
    "reconciler.apply",
    "reconciler.session",
    "reconciler.render",
    "reconciler.export",
)


def test_the_emulator_imports_nothing_of_the_product() -> None:
    code = (
        "import sys, reconciler.emulator, reconciler.emulator.server, "
        "reconciler.emulator.specgen, reconciler.emulator.tls, reconciler.emulator.contract\n"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = done.stdout.split()
    assert "reconciler.emulator.contract" in loaded
    leaked = [m for m in loaded if m.startswith(PRODUCT)]
    assert leaked == []


def test_no_emulator_module_imports_the_product_even_lazily() -> None:
    """Every import statement of every module, inside functions too: the only ``reconciler``
    modules the emulator names are its own."""
    found = []
    for path in sorted((REPO / "reconciler" / "emulator").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found += [
                f"{path.name}: {name}"
                for name in names
                if name.split(".")[0] == "reconciler" and not name.startswith("reconciler.emulator")
            ]
    assert found == []


def test_the_emulator_reads_no_file_of_the_products_schemas() -> None:
    sources = "\n".join(p.read_text() for p in (REPO / "reconciler" / "emulator").rglob("*.py"))
    assert "schemas/" not in sources.replace("emulator/specs", "")
    assert "x-reconciler" not in sources


@pytest.mark.parametrize("version", sorted(specgen.SOURCES))
def test_generated_specs_are_marked_and_carry_no_product_annotation(version: str) -> None:
    text = (specgen.default_out_dir() / f"{version}.json").read_text(encoding="utf-8")
    document = json.loads(text)
    assert specgen.COMMAND in document["$comment"] and "GENERATED" in document["$comment"]
    assert document["apiVersion"] == version
    assert "x-reconciler" not in text


def test_committed_specs_match_a_fresh_generation(tmp_path: Path) -> None:
    if not SHARED_SPECS.is_dir():
        pytest.skip(f"no API definitions at {SHARED_SPECS} to regenerate from")
    assert specgen.main(["--specs", str(SHARED_SPECS), "--out", str(tmp_path)]) == 0
    for fresh in sorted(tmp_path.glob("*.json")):
        committed = specgen.default_out_dir() / fresh.name
        assert committed.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), (
            f"{committed} is stale: run `{specgen.COMMAND}`"
        )
    assert {p.name for p in tmp_path.glob("*.json")} == {
        p.name for p in specgen.default_out_dir().glob("*.json")
    }
