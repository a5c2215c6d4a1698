"""Connections at api-version 2025-09-01: every category (105) and every auth type of the
definition validates as a manifest ``spec`` at that version, with its credentials given by
reference; the categories 2025-09-01 added are refused at the default version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.kinds.connection import CONNECTION
from reconciler.manifest import schemacheck

DEFINITION = (
    "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/"
    "2025-09-01/workspaceRP.json"
)
SCHEMA = CONNECTION.at("2025-09-01").schema()


def _document(properties: dict[str, Any], version: str = "2025-09-01") -> dict[str, Any]:
    return {
        "apiVersion": "reconciler/v1",
        "kind": "Connection",
        "metadata": {"name": "cx1", "workspace": "ws1", "apiVersion": version},
        "spec": {"properties": properties},
    }


def _definitions(specs_dir: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((specs_dir / DEFINITION).read_text(encoding="utf-8"))
    return found["definitions"]


def _credentials(auth_type: str) -> dict[str, Any] | None:
    """Every credential field the schema's branch for ``auth_type`` defines, by reference."""
    (branch,) = [
        d
        for d in SCHEMA["$defs"].values()
        if d.get("properties", {}).get("authType", {}).get("const") == auth_type
    ]
    ref = branch["properties"].get("credentials", {}).get("$ref")
    if ref is None:
        return None
    fields = SCHEMA["$defs"][ref.rsplit("/", 1)[-1]]["properties"]
    if set(fields) == {"keys"}:  # CustomKeys: a map of named keys
        return {"keys": {"api-key": {"fromEnv": "CX_KEY"}}}
    return {name: {"fromEnv": f"CX_{i}"} for i, name in enumerate(fields)}


def test_every_category_of_the_definition_validates_at_2025_09_01(specs_dir: Path) -> None:
    categories = _definitions(specs_dir)["ConnectionCategory"]["enum"]
    assert len(categories) == 105
    assert SCHEMA["$defs"]["ConnectionCategory"]["enum"] == categories
    refused = {
        category: schemacheck.check(
            _document({"category": category, "authType": "None", "target": "https://x.example"})
        )
        for category in categories
    }
    assert {c: i for c, i in refused.items() if i} == {}


def test_every_auth_type_of_the_definition_validates_with_its_credentials(
    specs_dir: Path,
) -> None:
    auth_types = _definitions(specs_dir)["ConnectionAuthType"]["enum"]
    assert SCHEMA["$defs"]["ConnectionAuthType"]["enum"] == auth_types
    for auth_type in auth_types:
        properties: dict[str, Any] = {
            "category": "CustomKeys" if auth_type == "CustomKeys" else "AzureOpenAI",
            "authType": auth_type,
            "target": "https://x.example",
        }
        credentials = _credentials(auth_type)
        if credentials is not None:
            properties["credentials"] = credentials
        assert schemacheck.check(_document(properties)) == [], auth_type


@pytest.mark.parametrize("category", ["Pinecone", "Elasticsearch", "ManagedOnlineEndpoint"])
def test_a_category_2025_09_01_added_is_refused_at_the_default_version(category: str) -> None:
    properties = {"category": category, "authType": "None", "target": "https://x.example"}
    assert schemacheck.check(_document(properties)) == []
    (issue,) = schemacheck.check(_document(properties, version="2024-04-01"))
    assert issue.path == ("spec", "properties", "category")
