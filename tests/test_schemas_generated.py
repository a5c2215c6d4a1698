"""The committed schemas are exactly what the generator makes from the specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.commands.tools import every_schema
from reconciler.schemas import generate


def test_committed_schemas_match_a_fresh_generation(
    repo: Path, specs_dir: Path, tmp_path: Path
) -> None:
    generate.write(tmp_path, every_schema(specs_dir))
    fresh = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    committed = {
        p.name: p.read_text(encoding="utf-8") for p in (repo / "schemas").glob("*.schema.json")
    }
    stale = sorted(n for n in fresh if committed.get(n) != fresh[n])
    assert not stale, f"schemas/ is stale; run `{generate.COMMAND}` ({stale})"
    assert set(committed) == set(fresh), "schemas/ holds files the generator does not make"


def test_generated_files_say_they_are_generated(specs_dir: Path) -> None:
    for name, schema in every_schema(specs_dir).items():
        assert generate.COMMAND in schema["$comment"], name
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_generation_is_deterministic(specs_dir: Path) -> None:
    first = {k: generate.render(v) for k, v in every_schema(specs_dir).items()}
    second = {k: generate.render(v) for k, v in every_schema(specs_dir).items()}
    assert first == second


def test_generator_cli_writes_into_the_given_directory(specs_dir: Path, tmp_path: Path) -> None:
    assert main(["schemas", "generate", "--specs", str(specs_dir), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "manifest.schema.json").is_file()


def test_generator_cli_says_what_it_needs_without_the_specs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["schemas", "generate", "--specs", str(tmp_path / "nope"), "--out", str(tmp_path)])
        == 1
    )
    err = capsys.readouterr().err
    assert "OpenAPI files" in err
    assert "--specs DIR" in err
    assert list(tmp_path.iterdir()) == []


def test_a_name_parameter_without_a_pattern_still_bounds_the_name_to_one_segment(
    tmp_path: Path,
) -> None:
    """Some definitions (a private endpoint connection's name) state no pattern: the name must
    still be one path segment, without the characters ARM refuses in any resource name."""
    import re

    from reconciler.schemas.openapi import SpecSet

    spec = tmp_path / "spec.json"
    spec.write_text('{"parameters": {"Name": {"name": "n", "in": "path", "type": "string"}}}')
    pattern = generate._param(SpecSet(), spec, "Name")["pattern"]
    assert re.fullmatch(pattern, "pec-1.approved")
    for bad in ("a/b", "..%2F", "a?b", "a#b", ""):
        assert not re.fullmatch(pattern, bad), bad
