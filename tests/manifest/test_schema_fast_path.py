"""The compiled validator and jsonschema give the same verdict on every document.

``schemacheck.check`` trusts jsonschema-rs's "valid" and asks jsonschema (whose messages users
see) only about the rest, so a document the fast path accepts while jsonschema would reject it
is a problem never reported. These tests hold the two to the same verdict: on documents drawn
from the schema itself — every kind and authType, every field, values that fit and values that
do not (wrong types, strings that break a pattern only in one regex dialect, bad dates, literal
secrets, server-set fields, unknown keys) — and on the examples and the invalid corpus.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, find, given, settings
from hypothesis import strategies as st

from reconciler.manifest import schemacheck, schemaexplain, schemarules
from reconciler.manifest.yamlsource import read_documents
from reconciler.schemas import load_schema

REPO = Path(__file__).resolve().parents[2]
# Characters on which regex dialects and date parsers disagree: a newline before the end
# (Python's "$"), a combining mark and "½" (Unicode \w), \x1c (Python's \s, not ECMA's), a BOM.
TRICKY = "\n\u0301½\x1c\ufeff ${}-_./:Zz09Tt"
TEXT = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(codec="utf-8"), max_size=12)
SCALAR: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT
)
ANY_JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
AUTH_TYPES = sorted(
    branch["if"]["properties"]["authType"]["const"]
    for branch in load_schema("manifest.schema.json")["$defs"][
        "Connection.WorkspaceConnectionPropertiesV2"
    ]["allOf"]
)


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        sibling = {k: v for k, v in node.items() if k != "$ref"}
        node = {**defs[node["$ref"].rsplit("/", 1)[-1]], **sibling}
    return node


def _string(node: dict[str, Any]) -> st.SearchStrategy[str]:
    if "enum" in node:
        return st.sampled_from([str(v) for v in node["enum"]])
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True)
    if node.get("format") == "date-time":
        return st.datetimes().map(lambda d: d.isoformat()) | st.sampled_from(
            ["2027-01-01", "2027-01-01T00:00:00Z", "2027-13-01T00", "2027-01-01 00:00:00"]
        )
    if node.get("format") == "uuid":
        return st.uuids().map(str) | TEXT
    return TEXT


def _fitting(node: dict[str, Any], defs: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    """What the schema asks for (literal secrets and server-set fields included)."""
    node = _resolve(node, defs)
    if "const" in node:
        return st.just(node["const"])
    if "anyOf" in node:
        return st.one_of([_fitting(b, defs, depth + 1) for b in node["anyOf"]])
    kind = node.get("type")
    if kind == "string" or "enum" in node:
        return _string(node)
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        return st.integers(min_value=-2, max_value=2**65) | st.floats(allow_nan=False)
    if kind == "array":
        return st.lists(_fitting(node.get("items", {}), defs, depth + 1), max_size=2)
    if kind == "object" or "properties" in node:
        return _object(node, defs, depth)
    return ANY_JSON


def _object(node: dict[str, Any], defs: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    if depth > 8:
        return st.just({})
    required = set(node.get("required", ()))
    values = {k: _fitting(v, defs, depth + 1) for k, v in node.get("properties", {}).items()}
    extra = node.get("additionalProperties", True)
    extras = _fitting(extra, defs, depth + 1) if isinstance(extra, dict) else None

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, strategy in values.items():
            # required keys are there; others now and then, so drawn documents stay small
            if key in required or draw(st.integers(0, 9)) == 0:
                out[key] = draw(strategy)
        if extras is not None:
            out.update(draw(st.dictionaries(TEXT, extras, max_size=2)))
        return out

    return build()


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    children: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    found = [path]
    for key, child in children:
        found += _paths(child, (*path, key))
    return found


@st.composite
def _mutated(draw: st.DrawFn, base: st.SearchStrategy[Any]) -> Any:
    """A fitting document, or one with a single mistake at a random place: a value replaced
    by anything, a tricky character appended to a string, a key removed or one added."""
    document = draw(base)
    how = draw(st.sampled_from(["none", "replace", "append", "remove", "add"]))
    if how == "none":
        return document
    path = draw(st.sampled_from(_paths(document)[1:] or [()]))
    if not path:
        return document
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "replace":
        parent[last] = draw(ANY_JSON)
    elif how == "append" and isinstance(parent[last], str):
        parent[last] += draw(st.sampled_from(TRICKY))
    elif how == "remove" and isinstance(parent, dict):
        del parent[last]
    elif how == "add" and isinstance(parent[last], dict):
        parent[last][draw(TEXT)] = draw(SCALAR)
    return document


@cache
def _documents(kind: str, auth_type: str | None, *, mistakes: bool = True) -> Any:
    schema = schemarules.document_schema(kind, auth_type)
    fitting = _fitting(schema, schema["$defs"], 0)
    return _mutated(fitting) if mistakes else fitting


def _same_verdict(document: Any, *, allow_literal_secrets: bool) -> str:
    """Assert the verdicts agree; say which it was (valid, invalid, unreadable)."""
    fast = schemacheck.is_valid(document, allow_literal_secrets=allow_literal_secrets)
    kind, auth_type = schemarules.dispatch(document)
    # At the api-version the document names (the examples hold 2025-09-01 documents too).
    issues = schemaexplain.explain(
        document,
        allow_literal_secrets=allow_literal_secrets,
        kind=kind,
        auth_type=auth_type,
        suffix=schemarules.suffix(kind, document, None),  # the api-version a document names
    )
    if fast is None:  # the compiled validator could not read it: jsonschema decides alone
        return "unreadable by jsonschema-rs"
    assert fast == (not issues), (fast, issues)
    return "valid" if fast else "invalid"


CASES = [("Workspace", None), ("Defaults", None), ("PlaywrightAccessTokens", None)] + [
    ("Connection", a) for a in AUTH_TYPES
]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(
    document=st.sampled_from(CASES).flatmap(lambda case: _documents(*case)),
    allow_literal_secrets=st.booleans(),
)
def test_both_validators_agree_on_documents_drawn_from_the_schema(
    document: Any, allow_literal_secrets: bool
) -> None:
    event(_same_verdict(document, allow_literal_secrets=allow_literal_secrets))


def test_the_strategy_draws_valid_documents_of_every_kind() -> None:
    """Else the test above would only ever compare two rejections."""
    for kind, auth_type in CASES:
        found = find(
            _documents(kind, auth_type, mistakes=False),
            lambda d: schemacheck.is_valid(d) is True,
            settings=settings(max_examples=100, database=None, phases=[Phase.generate]),
        )
        assert (
            schemaexplain.explain(
                found, allow_literal_secrets=False, kind=kind, auth_type=auth_type
            )
            == []
        )


@pytest.mark.parametrize("allow_literal_secrets", [False, True])
def test_both_validators_agree_on_the_examples_and_the_invalid_corpus(
    allow_literal_secrets: bool,
) -> None:
    files = [*sorted((REPO / "manifests" / "examples").glob("*.yaml"))]
    files += sorted((REPO / "tests" / "manifest" / "corpus" / "invalid").glob("*.yaml"))
    seen = 0
    for file in files:
        documents, _ = read_documents(file, file.read_text(encoding="utf-8"))
        for document in documents:
            _same_verdict(document.data, allow_literal_secrets=allow_literal_secrets)
            seen += 1
    assert seen > 30


@pytest.mark.parametrize(
    ("field", "value", "verdict"),
    [
        # \s: Python's holds \x1c and \x85, ECMA's (jsonschema-rs) does not; ECMA's holds \ufeff
        ("endpoint", "https://a\x1cb.api.playwright.microsoft.com", "invalid"),
        ("endpoint", "https://a\x85b.api.playwright.microsoft.com", "invalid"),
        ("endpoint", "https://a\ufeffb.api.playwright.microsoft.com", "valid"),
        ("endpoint", "https://eastus.api.playwright.microsoft.com\n", "invalid"),  # "$" at the end
        ("accountId", "e2e-tokens", "valid"),
    ],
    ids=["file-separator", "next-line", "byte-order-mark", "final-newline", "fits"],
)
def test_patterns_mean_pythons_re_in_both_validators(field: str, value: str, verdict: str) -> None:
    """Python's ``re`` (with ``$`` as end of text) decides ``pattern``, not Rust's classes:
    an endpoint the compiled validator alone accepted would never be reported."""
    spec = {"endpoint": "https://eastus.api.playwright.microsoft.com", "accountId": "eastus_0-1"}
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "PlaywrightAccessTokens",
        "metadata": {"name": "e2e-tokens"},
        "spec": {**spec, field: value},
    }
    assert _same_verdict(document, allow_literal_secrets=False) == verdict


def test_a_document_the_compiled_validator_cannot_read_is_left_to_jsonschema() -> None:
    """jsonschema-rs raises on a mapping key that is not a string (YAML's loader makes every
    key a string, but a library caller may not): no verdict, instead of an exception."""
    assert schemacheck.is_valid({"apiVersion": "reconciler/v1", 1: "x"}) is None
