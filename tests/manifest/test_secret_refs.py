"""Finding secret references in a spec: every one with its path, in document order, and
``has_refs`` agreeing with ``find_refs`` on any JSON value."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.manifest.secrets import SecretRef, as_ref, find_refs, has_refs

_REF = st.sampled_from([{"fromEnv": "K"}, {"fromFile": "k.txt"}, {"$literal": "v"}])
_JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3) | _REF,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "fromEnv", "fromFile", "b"]), inner, max_size=3)
    ),
    max_leaves=12,
)


def _walk(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], SecretRef]]:
    """The definition, spelled out: a reference is not walked into; containers are."""
    ref = as_ref(data)
    if ref is not None:
        return [(path, ref)]
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    return [found for key, value in items for found in _walk(value, (*path, key))]


def test_references_come_with_their_paths_in_document_order() -> None:
    spec = {
        "properties": {
            "credentials": {"key": {"fromEnv": "KEY"}, "more": [{"fromFile": "a.txt"}, 3]},
            "metadata": {"fromEnv": "NOT_A_REF", "other": 1},
        }
    }
    assert list(find_refs(spec, ("spec",))) == [
        (("spec", "properties", "credentials", "key"), SecretRef(env="KEY")),
        (("spec", "properties", "credentials", "more", 0), SecretRef(file="a.txt")),
    ]
    assert has_refs(spec)
    assert not has_refs({"properties": {"target": "https://x", "fromEnv": ["A"]}})


@given(_JSON)
def test_find_refs_and_has_refs_agree_with_the_definition(data: Any) -> None:
    expected = _walk(data)
    assert list(find_refs(data)) == expected
    assert has_refs(data) == bool(expected)
