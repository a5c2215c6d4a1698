"""What the manifest schema's keywords mean here, shared by both validators so they agree.

:mod:`reconciler.manifest.schemacheck` validates with a compiled validator (jsonschema-rs) and
:mod:`reconciler.manifest.schemaexplain` explains violations with jsonschema; every rule that
is ours rather than JSON Schema's — the annotations ``readOnly`` and ``x-reconciler-secret``
as errors, Python's ``re`` for ``pattern`` with ``$`` as end of text, which formats are checked
and how, and which subschema a document is checked against — is defined once, here, and both
validators call it. The schemas themselves are the generated files, used unchanged.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from reconciler.manifest.yamlsource import JsonPath
from reconciler.schemas import load_schema, versions

LITERAL_SECRET = (
    "is a secret: give it by reference ({fromEnv: NAME} or {fromFile: PATH}), "
    "not as a literal, because manifests live in git (--allow-literal-secrets overrides)"
)
SERVER_SET = "is set by the server (read-only); remove it from the manifest"


@dataclass(frozen=True)
class SchemaIssue:
    path: JsonPath
    message: str
    at_key: bool = False


@cache
def _whole(pattern: str) -> re.Pattern[str]:
    """``pattern`` with a final ``$`` read as end of text (``\\Z``): in Python's ``re`` ``$``
    also matches before a trailing newline, so ``"name\\n"`` would pass and then reach a URL."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def matches(pattern: str, instance: Any) -> bool:
    """The ``pattern`` keyword: non-strings pass (JSON Schema), strings are searched with
    Python's ``re``, whose classes (``\\w``, ``\\s``) differ from ECMA's and Rust's."""
    return not isinstance(instance, str) or _whole(pattern).search(instance) is not None


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value or " " in value


def _uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        UUID(value)
    except ValueError:
        return False
    return True


# The formats checked; any other (arm-id, int32 …) is an annotation only.
FORMATS: dict[str, Callable[[object], bool]] = {"date-time": _date_time, "uuid": _uuid}


def _connection_branch(
    defs: dict[str, Any], auth_type: str, suffix: str = ""
) -> dict[str, Any] | None:
    """The connection document schema (of one api-version: ``suffix``) with its authType
    branch chosen up front."""
    base = defs.get(f"Connection{suffix}.WorkspaceConnectionPropertiesV2", {})
    for branch in base.get("allOf", []):
        if branch["if"]["properties"]["authType"]["const"] == auth_type:
            body = copy.deepcopy(defs[f"Connection{suffix}"])
            body["properties"]["properties"] = {"$ref": branch["then"]["$ref"]}
            document = copy.deepcopy(defs[f"ConnectionDocument{suffix}"])
            document["properties"]["spec"] = {"$ref": "#/$defs/_ConnectionBody"}
            return {"$defs": {**defs, "_ConnectionBody": body}, **document}
    return None


@cache
def document_schema(kind: str | None, auth_type: str | None, suffix: str = "") -> dict[str, Any]:
    """The schema one document is checked against: its kind's at its api-version (``suffix``,
    e.g. ``@<api-version>``; empty: the default's) and a connection's authType branch, when
    known; else the whole manifest schema.

    Dispatching on ``kind`` and ``authType`` up front skips evaluating every ``if`` for each
    document; the branch chosen is the one the ``if`` would have chosen, so errors are the same.
    """
    schema = load_schema("manifest.schema.json")
    if kind is None:
        return schema
    branch = _connection_branch(schema["$defs"], auth_type, suffix) if auth_type else None
    return branch or {"$defs": schema["$defs"], "$ref": f"#/$defs/{kind}Document{suffix}"}


@cache
def _kinds() -> frozenset[str]:
    return frozenset(load_schema("manifest.schema.json")["properties"]["kind"]["enum"])


def suffix(kind: str | None, document: Any, api_version: str | None) -> str:
    """Which api-version's document schema checks ``document``: the one it names
    (``metadata.apiVersion``), else ``api_version`` (from Defaults); the default's when it
    names none, the default or one without a schema (which the default's then reports)."""
    if kind is None or not isinstance(document, dict):
        return ""
    metadata = document.get("metadata")
    named = metadata.get("apiVersion") if isinstance(metadata, dict) else None
    version = named if isinstance(named, str) else api_version
    found = f"@{version}"
    if f"{kind}Document{found}" not in load_schema("manifest.schema.json")["$defs"]:
        return ""
    return found


def dispatch(document: Any) -> tuple[str | None, str | None]:
    """The known ``kind`` of a document and, for a kind of several shapes (a connection's
    ``authType``), which shape it names (or None)."""
    kind = document.get("kind") if isinstance(document, dict) else None
    known = kind if isinstance(kind, str) and kind in _kinds() else None
    discriminator = versions.DISCRIMINATORS.get(known or "")
    if discriminator is None:
        return known, None
    spec = document.get("spec")
    props = spec.get("properties") if isinstance(spec, dict) else None
    shape = props.get(discriminator) if isinstance(props, dict) else None
    return known, shape if isinstance(shape, str) else None
