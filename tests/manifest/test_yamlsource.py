"""Reading YAML: plain values, exact positions, and no surprises from YAML's corners."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import Position
from reconciler.manifest.yamlsource import read_documents

F = Path("m.yaml")


def test_values_keep_their_positions() -> None:
    docs, problems = read_documents(F, "a:\n  b: [1, two]\n")
    assert not problems
    doc = docs[0]
    assert doc.data == {"a": {"b": [1, "two"]}}
    assert doc.values[("a", "b", 1)] == Position(2, 10)
    assert doc.keys[("a", "b")] == Position(2, 3)
    assert doc.position_of(("a", "b", "missing")) == Position(2, 6)


def test_scalars_follow_yaml_1_2_and_timestamps_stay_text() -> None:
    docs, _ = read_documents(F, "a: yes\nb: on\nc: 0x10\nd: 2024-01-01T00:00:00Z\ne: ~\nf: 1.5\n")
    assert docs[0].data == {
        "a": "yes",
        "b": "on",
        "c": 16,
        "d": "2024-01-01T00:00:00Z",
        "e": None,
        "f": 1.5,
    }


def test_several_documents_and_empty_ones() -> None:
    docs, problems = read_documents(F, "---\na: 1\n---\n---\nb: 2\n")
    assert not problems
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}]
    assert docs[1].start == Position(5, 1)


def test_merge_keys_are_expanded() -> None:
    docs, problems = read_documents(F, "base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n")
    assert not problems
    assert docs[0].data["use"] == {"x": 1, "y": 3}


def test_duplicate_keys_are_reported_where_the_second_one_is() -> None:
    _, problems = read_documents(F, "a: 1\nb: 2\na: 3\n")
    assert [p.render() for p in problems] == [
        "m.yaml:3:1: a: duplicate key 'a' (first defined at line 1)"
    ]


def test_alias_bombs_are_refused_quickly() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    _, problems = read_documents(F, "\n".join(lines) + "\n")
    assert len(problems) == 1
    assert "expands to more than" in problems[0].message


def test_custom_tags_and_complex_keys_are_problems_not_crashes() -> None:
    _, tag = read_documents(F, "a: !Ref foo\n")
    assert "unsupported YAML tag" in tag[0].message
    _, key = read_documents(F, "? [1, 2]\n: x\n")
    assert "mapping keys must be plain strings" in key[0].message


def test_a_syntax_error_names_its_line_and_column() -> None:
    docs, problems = read_documents(F, "a: 1\n---\nb: [1\nc: 2\n")
    assert [d.data for d in docs] == [{"a": 1}]
    assert problems[0].position is not None and problems[0].position.line == 4
    assert problems[0].message.startswith("YAML syntax error")


def test_recursive_aliases_do_not_hang() -> None:
    _, problems = read_documents(F, "a: &a [*a]\n")
    assert problems  # either the composer or the budget refuses it


def test_control_characters_are_reported_with_their_position() -> None:
    _, problems = read_documents(F, "a: 1\nb: \x1f\n")
    assert len(problems) == 1
    assert problems[0].position == Position(2, 4)
    assert "\n" not in problems[0].message
