"""The JSON plan is written by :func:`reconciler.render.jsontext.dumps`, which must write what
``json.dumps(value, indent=2, ensure_ascii=False)`` writes, byte for byte, for every value a
plan can hold: the golden plan pins one; these pin the encoder itself, its corners included."""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.render.jsontext import dumps


def _standard(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


class Colour(StrEnum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


class Mapping(dict[str, Any]):
    """As ruamel's CommentedMap: a dict subclass."""


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and the infinities included: json writes NaN, Infinity
    | st.text()  # control characters, quotes, backslashes, bidi marks, astral planes
)
keys = st.text() | st.integers() | st.floats() | st.booleans() | st.none()
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(keys, inner, max_size=4)
        | st.dictionaries(st.text(), inner, max_size=4).map(Mapping)
    ),
    max_leaves=30,
)


@given(values)
def test_writes_what_json_dumps_writes(value: Any) -> None:
    assert dumps(value) == _standard(value)


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        (),
        {"a": {}, "b": [], "c": [{}], "d": [[]]},
        {"action": Colour.RED, "level": Level.HIGH, Colour.RED: Level.HIGH},
        {2: "two", 1.5: "x", True: "t", False: "f", None: "n"},
        {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf"), "f": 1e300},
        {"text": '\x00\x1f\x7f\u202e\u2028 "quoted" \\ é 𝄞'},
        Mapping(nested=[Mapping(a=1), (2, 3.0)]),
        "a bare string",
        12,
        None,
    ],
    ids=repr,
)
def test_corners(value: Any) -> None:
    assert dumps(value) == _standard(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"when": object()}, "Object of type object is not JSON serializable"),
        ([{1, 2}], "Object of type set is not JSON serializable"),
        ({(1, 2): "x"}, "keys must be str, int, float, bool or None, not tuple"),
    ],
)
def test_refuses_what_json_refuses(value: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        _standard(value)
    with pytest.raises(TypeError, match=message):
        dumps(value)


def test_the_saved_plan_is_the_json_plan_with_its_stamp_as_before() -> None:
    """``plan --out`` writes the plan and its secret stamp from the plan itself, as it did by
    reading its own JSON back: the same bytes, strings the log escapes included."""
    from dataclasses import replace

    from reconciler.render.json import render_json, render_saved
    from tests.render.test_golden import sample_plan

    plan = sample_plan()
    hostile = replace(
        plan.changes[0],
        reason="x\x7fy\u202e ##vso[task.setvariable] é",
        before={"tags": {"k\x85": "##VSO[x", "n": 1.5, "b": True, "z": None}},
    )
    plan = replace(plan, changes=(hostile, *plan.changes[1:]))
    stamp = {"version": 1, "salt": "s", "digests": {"a": "b"}}
    read_back = json.loads(render_json(plan))
    expected = json.dumps({**read_back, "secret_check": stamp}, indent=2, ensure_ascii=False)
    assert render_saved(plan, "plan", stamp) == expected + "\n"
