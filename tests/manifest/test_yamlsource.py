"""Reading YAML: plain values, exact positions, and no surprises from YAML's corners."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.resolver import VersionedResolver

from reconciler.errors import Position
from reconciler.manifest import yamlcompose, yamlsource
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


def test_positions_are_worked_out_when_first_asked_for_once_a_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reading records where each document starts only: a valid manifest asks for no other
    position. A problem to report asks, and the file is read again for them, once."""
    made: list[object] = []
    pos = yamlsource._pos

    def counted(node: object) -> Position:
        made.append(node)
        return pos(node)  # type: ignore[arg-type]

    monkeypatch.setattr(yamlsource, "_pos", counted)
    docs, problems = read_documents(F, "a: 1\n---\nb: {c: 2}\n")
    assert not problems
    assert len(made) == 2
    assert docs[1].position_of(("b", "c")) == Position(3, 8)
    assert len(made) == 2 + 3 + 5  # each document's values and keys
    assert docs[0].position_of(("a",), key=True) == Position(1, 1)
    assert len(made) == 2 + 3 + 5


def test_positions_worked_out_later_count_documents_as_reading_did() -> None:
    text = "a: 1\n---\n---\nb: !Ref x\n---\nc:\n  d: [1, &x two]\n  e: *x\n---\nf: [\n"
    docs, problems = read_documents(F, text)
    assert [d.data for d in docs] == [{"a": 1}, {"c": {"d": [1, "two"], "e": "two"}}]
    assert problems[0].render() == "m.yaml:4:4: b: unsupported YAML tag '!Ref'"
    assert problems[1].message.startswith("YAML syntax error")
    assert docs[1].position_of(("c", "d", 1)) == Position(7, 10)
    assert docs[1].keys[("c", "e")] == Position(8, 3)
    assert docs[1].values[("c", "e")] == Position(7, 10)  # an alias: its anchor's
    assert docs[0].values == {(): Position(1, 1), ("a",): Position(1, 4)}
    assert docs[0].keys == {("a",): Position(1, 1)}


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


def test_a_document_too_large_without_aliases_is_not_blamed_on_aliases() -> None:
    """Was "(aliases nested too deeply?)" for a document that has none."""
    text = "tags:\n" + "".join(f"  k{i}: v\n" for i in range(20_001))
    _, problems = read_documents(F, text)
    assert len(problems) == 1
    assert "expands to more than 20000 values" in problems[0].message
    assert "nested too deeply?" not in problems[0].message and "split it" in problems[0].message


def test_merging_empty_mappings_over_and_over_is_refused_quickly() -> None:
    """An empty mapping merged builds no value, yet each level of ``<<: [*e, *e]`` doubles the
    work: 16 levels are 65,536 merges, 40 would never finish. Each merge spends the budget."""
    lines = ["e0: &e0 {}"] + [f"e{i}: &e{i} {{<<: [*e{i - 1}, *e{i - 1}]}}" for i in range(1, 17)]
    _, problems = read_documents(F, "\n".join(lines) + "\n")
    assert len(problems) == 1
    assert "expands to more than" in problems[0].message


def test_composing_leaves_no_loader_for_the_collector() -> None:
    """The C loader refers to itself; a load pauses the collector, so every file's loader (its
    buffers, its text) stayed until the load ended: 3,000 small files, +40 MiB at the peak."""
    gc.collect()
    gc.disable()
    try:
        docs, problems = read_documents(F, "a: 1\n---\nb: [x]\n")
        assert [d.data for d in docs] == [{"a": 1}, {"b": ["x"]}] and not problems
        assert not [o for o in gc.get_objects() if type(o).__module__ == yamlcompose.__name__]
    finally:
        gc.enable()


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


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a: 1\nb: \x1f\n", Position(2, 4)),
        ("a: 1\nb: ééééé\x01\n", Position(2, 9)),  # the C parser counts bytes
        ("a: 1\rb: 2\rc: \x01\r", Position(3, 4)),
        ("a: 1\r\nb: 2\x85c: \x01\n", Position(3, 4)),
        ("\ufeffa: 1\nb: \x01\n", Position(2, 4)),
    ],
    ids=["plain", "after multibyte characters", "CR lines", "CRLF and NEL lines", "BOM"],
)
def test_control_characters_are_reported_with_their_position(text: str, where: Position) -> None:
    _, problems = read_documents(F, text)
    assert len(problems) == 1
    assert problems[0].position == where
    assert "\n" not in problems[0].message


# Plain scalars resolve by the YAML 1.2 core schema (ruamel's 1.2 rules), quoted or !!str ones
# stay text. The reader looks those rules up once rather than once per scalar; this table holds
# every corner to what it meant before.
SCALARS = [
    # YAML 1.1's booleans are text in 1.2; only true/false in three spellings are booleans
    ("on", "on"),
    ("off", "off"),
    ("yes", "yes"),
    ("no", "no"),
    ("y", "y"),
    ("true", True),
    ("True", True),
    ("TRUE", True),
    ("tRue", "tRue"),
    ("false", False),
    # integers: 1.2's 0o octal, hex, binary; a leading zero is decimal, underscores dropped
    ("0o17", 15),
    ("0x1F", 31),
    ("0b101", 5),
    ("010", 10),
    ("0_10", 10),
    ("+12", 12),
    ("1_000", 1000),
    ("0x", "0x"),
    # a sign before a base's prefix, as ruamel reads it
    ("-0o17", -15),
    ("+0o17", 15),
    ("-0x1f", -31),
    ("-0b101", -5),
    ("-0", 0),
    ("0b-101", "0b-101"),
    # floats; infinities and NaN stay text (JSON cannot hold them: the schema says no)
    ("1e3", 1000.0),
    ("1E3", 1000.0),
    ("1e+3", 1000.0),
    ("1.5e3", 1500.0),
    ("1.", 1.0),
    (".5", 0.5),
    (".inf", ".inf"),
    ("-.inf", "-.inf"),
    (".NaN", ".NaN"),
    # nulls
    ("~", None),
    ("null", None),
    ("Null", None),
    ("NULL", None),
    ("nULL", "nULL"),
    ("", None),
    # timestamps stay as written; 1.1's sexagesimal numbers are text
    ("2024-01-01", "2024-01-01"),
    ("2024-01-01 12:00:00", "2024-01-01 12:00:00"),
    ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("1:20:30", "1:20:30"),
    ("0.1.2", "0.1.2"),
    # quoted and explicitly tagged scalars
    ("'on'", "on"),
    ('"010"', "010"),
    ("'1e3'", "1e3"),
    ('"~"', "~"),
    ("'null'", "null"),
    ("!!str 010", "010"),
    ("!!int '7'", 7),
    ("!!float 1", 1.0),
]


@pytest.mark.parametrize(("written", "read"), SCALARS)
def test_each_scalar_reads_as_yaml_1_2_says(written: str, read: object) -> None:
    """Matched the first time (the list's item), remembered after (the next document)."""
    text = f"list:\n  - {written}\n---\nk: {written}\n"
    docs, problems = read_documents(F, text)
    assert not problems
    assert [d.data for d in docs] == [{"list": [read]}, {"k": read}]
    assert type(docs[1].data["k"]) is type(read)  # 1 is not 1.0, True is not 1
    assert type(docs[0].data["list"][0]) is type(read)


def test_a_plain_scalar_is_matched_once_a_load_and_up_to_so_many_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    remembered: dict[str, Any] = {}
    monkeypatch.setattr(yamlcompose, "TAGS_REMEMBERED", 5)
    docs, problems = read_documents(F, "".join(f"k{i}: {i}\n" for i in range(10)), remembered)
    assert not problems
    assert docs[0].data == {f"k{i}": i for i in range(10)}
    assert list(remembered) == ["k0", "0", "k1", "1", "k2"]
    docs, problems = read_documents(F, "k0: 1\nk9: 2\n", remembered)
    assert docs[0].data == {"k0": 1, "k9": 2}
    assert len(remembered) == 5


def test_a_yaml_1_1_directive_does_not_bring_back_yaml_1_1s_scalars() -> None:
    docs, problems = read_documents(F, "%YAML 1.1\n---\na: yes\nb: 010\nc: on\n---\nd: no\n")
    assert not problems
    assert [d.data for d in docs] == [{"a": "yes", "b": 10, "c": "on"}, {"d": "no"}]


def test_keys_resolve_too_and_any_scalar_key_is_read_as_written() -> None:
    docs, problems = read_documents(F, "on: 1\n010: 2\ntrue: 3\n~: 4\n1e3: 5\n")
    assert not problems
    assert docs[0].data == {"on": 1, "010": 2, "true": 3, "~": 4, "1e3": 5}
    _, value_tag = read_documents(F, "a: =\n")
    assert [p.render() for p in value_tag] == [
        "m.yaml:1:4: a: unsupported YAML tag 'tag:yaml.org,2002:value'"
    ]


def test_the_yaml_version_is_settled_once_per_file_not_once_per_scalar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ruamel asks for the version twice per plain scalar (two failed lookups each): 40 % of
    composing a manifest, for an answer that is always 1.2 here."""
    asked = []
    version = VersionedResolver.processing_version

    def counted(self: VersionedResolver) -> object:
        asked.append(1)
        return version.fget(self)  # type: ignore[attr-defined]

    monkeypatch.setattr(VersionedResolver, "processing_version", property(counted))
    text = "".join(f"k{i}: {i}\n" for i in range(200))
    docs, problems = read_documents(F, text + "---\n" + text)
    assert not problems
    assert docs[1].data["k199"] == 199
    assert len(asked) <= 2


@pytest.mark.parametrize("written", ["!!int '+-0x10'", "!!int '--0x10'", "!!int '-+0o7'"])
def test_two_signs_before_a_bases_prefix_are_an_error_as_ruamel_has_it(written: str) -> None:
    """One sign may come before ``0x``/``0o``/``0b``; a second is not a number (ruamel's own
    reading refuses it), never read as if only one were written."""
    docs, problems = read_documents(F, f"k: {written}\n")
    assert not docs
    assert [p.render() for p in problems] == [
        f"m.yaml:1:4: k: invalid literal for int() with base 10: {written[7:-1]!r}"
    ]


def test_an_explicit_bool_is_true_or_false_or_an_error_never_false_for_anything_else() -> None:
    """``!!bool yes`` reads as true to its reviewer (and to YAML 1.1, and ruamel's own
    constructor); YAML 1.2 spells booleans only true and false. Anything else under the tag is
    an error at the value, not silently false."""
    docs, problems = read_documents(F, "a: !!bool 'True'\nb: !!bool FALSE\n")
    assert not problems and docs[0].data == {"a": True, "b": False}
    for written in ("yes", "on", "'1'", "y"):
        docs, problems = read_documents(F, f"enabled: !!bool {written}\n")
        assert not docs, (written, docs[0].data)
        assert [p.render() for p in problems] == [
            f"m.yaml:1:10: enabled: {written.strip(chr(39))!r} is not a boolean (true or false)"
        ]


PIECES = st.sampled_from(
    [
        "[",
        "{a: ",
        "[a: ",
        "\ufeff",
        "- ",
        "? ",
        "a:\n",
        "  ",
        "\t",
        "{",
        "]",
        "}",
        "x",
        "\n",
        "\r",
        "\n---\n",
        "\r---\r",
        "\n... ",
        "--- ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=80), st.integers(1, 20))
def test_the_nesting_screen_never_clears_a_document_deeper_than_the_limit(
    pieces: list[str], limit: int
) -> None:
    """Only what the screen cannot clear is parsed to count its depth: it must never clear a
    text that nests deeper (the C composer would recurse on, and overflow, the C stack)."""
    text = "".join(pieces)
    depth = deepest = 0
    try:
        for event in yamlcompose.composer().parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                deepest = max(deepest, depth)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        pass
    if deepest > limit:
        assert yamlsource._may_nest_deeper_than(text, limit)


def test_the_nesting_screen_counts_a_flow_pair_as_two_levels() -> None:
    """In a flow sequence, ``[a: `` opens a sequence and a one-pair mapping: 40 brackets nest
    81 deep."""
    text = "a: " + "[a: " * 40 + "x" + "]" * 40 + "\n"
    assert yamlsource._may_nest_deeper_than(text, 65)


def test_the_nesting_screen_clears_manifests_as_written(repo: Path) -> None:
    for path in sorted((repo / "manifests" / "examples").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert not yamlsource._may_nest_deeper_than(text, yamlsource.MAX_DEPTH + 1), path


def test_reading_makes_no_yaml_instance_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """YAML() globs for plug-ins and makes a loader class per file (~140 µs); the C parser's
    loader is made directly, with the same resolver."""
    made: list[object] = []
    init = YAML.__init__

    def counted(self: YAML, **kwargs: object) -> None:
        made.append(self)
        init(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(YAML, "__init__", counted)
    for i in range(3):
        docs, problems = read_documents(F, f"a: {i}\nb: [on, 0o17]\n---\nc: x\n")
        assert not problems
        assert [d.data for d in docs] == [{"a": i, "b": ["on", 15]}, {"c": "x"}]
    assert not made


def test_through_yaml_as_without_the_c_parser_it_reads_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without ruamel.yaml.clib, documents are composed through YAML() (which then takes
    ruamel's pure-Python parser), as before."""
    text = "".join(f"k{i}: {written}\n" for i, (written, _) in enumerate(SCALARS)) + "---\n- a\n"
    docs, problems = read_documents(F, text)
    with_c = [(d.data, d.start, d.values, d.keys) for d in docs]
    monkeypatch.setattr(yamlcompose, "CParser", None)
    docs, problems = read_documents(F, text)
    assert [(d.data, d.start, d.values, d.keys) for d in docs] == with_c
    assert not problems


def test_an_alias_bomb_is_not_told_to_split_the_document() -> None:
    """Splitting a document whose aliases repeat aliases leaves each part as large: the message
    names the aliases; only a document large in itself is told to split."""
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    _, problems = read_documents(F, "\n".join(lines) + "\n")
    assert len(problems) == 1
    assert "expands to more than 20000 values" in problems[0].message
    assert "aliases" in problems[0].message and "split it" not in problems[0].message


def test_a_large_document_its_aliases_push_over_the_limit_names_the_aliases() -> None:
    """15,000 values written out, and an alias repeating them: the keys are no values, so
    the document in itself is under the limit and the aliases are what took it over."""
    text = "a: &a\n" + "".join(f"  k{i}: v\n" for i in range(15_000)) + "b: *a\n"
    _, problems = read_documents(F, text)
    assert len(problems) == 1
    assert "aliases" in problems[0].message and "split it" not in problems[0].message
