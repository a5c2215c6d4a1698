"""Substitution copies only what it changes: most of a manifest holds no ``$``."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconciler.manifest.envsubst import substitute


def test_a_document_without_a_reference_comes_back_as_it_is() -> None:
    data = {"kind": "Workspace", "spec": {"tags": {"a": "b"}, "n": [1, 2.5, True, None]}}
    assert substitute(data, {"A": "x"}, lambda path, message: None) is data


def test_only_the_containers_on_a_references_path_are_copied_the_input_left_alone() -> None:
    data: dict[str, Any] = {
        "metadata": {"name": "n", "labels": {"team": "t"}},
        "spec": {"properties": {"target": "https://${HOST}/", "credentials": {"key": "${KEY}"}}},
        "outputs": ["a", "b"],
    }
    before = copy.deepcopy(data)
    reports: list[tuple[object, str]] = []
    used: list[tuple[str, str]] = []
    out = substitute(
        data, {"HOST": "h", "KEY": "k"}, lambda p, m: reports.append((p, m)), used=used
    )
    assert data == before
    assert out == {
        "metadata": {"name": "n", "labels": {"team": "t"}},
        "spec": {
            "properties": {"target": "https://h/", "credentials": {"key": {"fromEnv": "KEY"}}}
        },
        "outputs": ["a", "b"],
    }
    assert out is not data and out["spec"] is not data["spec"]
    assert out["metadata"] is data["metadata"] and out["outputs"] is data["outputs"]
    assert used == [("HOST", "h")] and not reports


@pytest.mark.parametrize("env", [{}, {"A": "a"}, {"B": "b"}], ids=["neither", "A", "B"])
def test_a_reference_in_a_default_is_an_error_never_text(env: dict[str, str]) -> None:
    """``${A:-${B}}`` is not read as nested: the default ended at the first ``}``, so the value
    became ``${B}`` as text, or A's value with a stray ``}`` after it, without a word."""
    reports: list[tuple[object, str]] = []
    substitute({"tag": "${A:-${B}}"}, env, lambda p, m: reports.append((p, m)))
    assert reports == [
        (
            ("tag",),
            "'${A:-${B}' holds a reference in its default: defaults are read as text, "
            "never nested; give A with --var A=VALUE, an --env-file or RECONCILER_VAR_A",
        )
    ]
