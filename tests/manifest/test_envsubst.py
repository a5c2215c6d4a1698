"""Substitution copies only what it changes: most of a manifest holds no ``$``."""

from __future__ import annotations

import copy
from typing import Any

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
