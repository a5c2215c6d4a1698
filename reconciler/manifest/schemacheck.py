"""Check one manifest document against the generated ``manifest.schema.json``.

jsonschema finds the violations; this module turns them into messages a person can act on:
one per problem, pinned to the key or value that caused it, with "did you mean" for unknown
fields and enum values, and the schema's own annotations enforced:

* ``readOnly`` fields are server-set and rejected in manifests;
* ``x-reconciler-secret`` fields must be references, not literals (unless allowed).
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.protocols import Validator

from reconciler.manifest.yamlsource import JsonPath
from reconciler.schemas import load_schema

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


def _read_only(
    validator: Validator, value: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if value is True:
        yield ValidationError(SERVER_SET, validator="readOnly")


def _literal_secret(
    validator: Validator, value: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if value is True and isinstance(instance, str):
        yield ValidationError(LITERAL_SECRET, validator="x-reconciler-secret")


@cache
def _whole(pattern: str) -> re.Pattern[str]:
    """``pattern`` with a final ``$`` read as end of text (``\\Z``): in Python's ``re`` (which
    jsonschema uses) ``$`` also matches before a trailing newline, so ``"name\\n"`` would pass
    and then reach a URL."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(
    validator: Validator, value: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if isinstance(instance, str) and not _whole(value).search(instance):
        yield ValidationError(f"does not match {value!r}", validator="pattern")


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


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_date_time)
    checker.checks("uuid")(_uuid)
    return checker


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
def _validator(
    allow_literal_secrets: bool, kind: str | None, auth_type: str | None = None, suffix: str = ""
) -> Validator:
    """A validator for one kind's document schema, or for the whole manifest schema.

    Dispatching on ``kind`` (and a connection's ``authType``) up front skips evaluating every
    ``if`` for each document, which is most of the cost when validating thousands of them;
    the branch chosen is the one the ``if`` would have chosen, so errors are the same.
    ``suffix`` names the api-version's document schema (``@2025-09-01``; empty: the
    default's).
    """
    keywords: dict[str, Any] = {"readOnly": _read_only, "pattern": _pattern}
    if not allow_literal_secrets:
        keywords["x-reconciler-secret"] = _literal_secret
    cls = validators.extend(Draft202012Validator, keywords)  # type: ignore[no-untyped-call]
    schema = load_schema("manifest.schema.json")
    if kind is not None:
        branch = _connection_branch(schema["$defs"], auth_type, suffix) if auth_type else None
        document = f"#/$defs/{kind}Document{suffix}"
        schema = branch or {"$defs": schema["$defs"], "$ref": document}
    return cls(schema, format_checker=_format_checker())  # type: ignore[no-any-return]


@cache
def _kinds() -> frozenset[str]:
    return frozenset(load_schema("manifest.schema.json")["properties"]["kind"]["enum"])


def _suffix(kind: str | None, document: dict[str, Any], api_version: str | None) -> str:
    """Which api-version's document schema checks ``document``: the one it names
    (``metadata.apiVersion``), else ``api_version`` (from Defaults); the default's when it
    names none, the default or one without a schema (which the default's then reports)."""
    metadata = document.get("metadata")
    named = metadata.get("apiVersion") if isinstance(metadata, dict) else None
    version = named if isinstance(named, str) else api_version
    suffix = f"@{version}"
    if (
        kind is None
        or f"{kind}Document{suffix}" not in load_schema("manifest.schema.json")["$defs"]
    ):
        return ""
    return suffix


def check(
    document: Any, *, allow_literal_secrets: bool = False, api_version: str | None = None
) -> list[SchemaIssue]:
    """Every schema problem in ``document`` (empty when valid). ``api_version``: the one a
    Defaults document gives the document's kind, used when it names none itself."""
    kind = document.get("kind") if isinstance(document, dict) else None
    known = kind if isinstance(kind, str) and kind in _kinds() else None
    suffix = _suffix(known, document, api_version) if known else ""
    auth_type = None
    if known == "Connection":
        props = (
            (document.get("spec") or {}) if isinstance(document.get("spec"), dict) else {}
        ).get("properties")
        candidate = props.get("authType") if isinstance(props, dict) else None
        auth_type = candidate if isinstance(candidate, str) else None
    validator = _validator(allow_literal_secrets, known, auth_type, suffix)
    issues: dict[tuple[JsonPath, str], SchemaIssue] = {}
    for error in validator.iter_errors(document):
        for issue in _explain(error):
            issues.setdefault((issue.path, issue.message), issue)
    return sorted(issues.values(), key=lambda i: [str(p) for p in i.path])


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """Descend through combinators to the errors that say what is actually wrong."""
    if error.validator in ("allOf", "then", "$ref") and error.context:
        for sub in error.context:
            yield from _leaves(sub)
    else:
        yield error


def _explain(error: ValidationError) -> Iterator[SchemaIssue]:
    for leaf in _leaves(error):
        yield from _message(leaf)


def _message(error: ValidationError) -> Iterator[SchemaIssue]:
    path: JsonPath = tuple(error.absolute_path)
    kind, instance = error.validator, error.instance
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    expected: Any = error.validator_value
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = list(schema.get("properties", {}))
        for key in instance:
            if key not in known:
                yield SchemaIssue((*path, key), _unknown_field(key, known), at_key=True)
    elif kind == "required":
        for name in expected:
            if isinstance(instance, dict) and name not in instance:
                yield SchemaIssue((*path, name), "is required but missing", at_key=False)
    elif kind == "enum" and _names_api_version(path):
        yield SchemaIssue(path, _unknown_api_version(instance, list(expected)))
    elif kind == "enum":
        yield SchemaIssue(path, _not_allowed(instance, list(expected)))
    elif kind == "const":
        yield SchemaIssue(path, f"must be {expected!r}, got {instance!r}")
    elif kind == "type":
        yield SchemaIssue(
            path,
            f"must be {_type_name(error.validator_value)}, got {_type_name(_json_type(instance))}",
        )
    elif kind == "pattern":
        shown = schema.get("x-reconciler-pattern", expected)
        yield SchemaIssue(path, f"{instance!r} does not match the pattern {shown}")
    elif kind == "anyOf" and schema.get("x-reconciler-secret"):
        yield SchemaIssue(path, "must be a secret reference: {fromEnv: NAME} or {fromFile: PATH}")
    elif kind in ("minProperties", "maxProperties") and "fromEnv" in schema.get("properties", {}):
        yield SchemaIssue(path, "a secret reference has exactly one of fromEnv or fromFile")
    elif kind == "format":
        yield SchemaIssue(path, f"{instance!r} is not a valid {expected}")
    else:
        yield SchemaIssue(path, error.message)


def _names_api_version(path: JsonPath) -> bool:
    """``metadata.apiVersion`` of a document, or a kind's in ``spec.apiVersions`` of Defaults."""
    return path == ("metadata", "apiVersion") or path[:2] == ("spec", "apiVersions")


def _unknown_api_version(value: Any, known: list[Any]) -> str:
    versions = ", ".join(str(v) for v in known)
    return (
        f"unknown api-version {value!r}: schemas exist for {versions} (the first is the "
        "default, used when none is named)"
    )


def _unknown_field(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        if key.lower() in lowered:
            close = [lowered[key.lower()]]
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown field {key!r}{hint}"


def _not_allowed(value: Any, allowed: list[Any]) -> str:
    text = [str(a) for a in allowed]
    close = difflib.get_close_matches(str(value), text, n=1, cutoff=0.6)
    if not close:
        close = [a for a in text if a.lower() == str(value).lower()][:1]
    if close:
        return f"{value!r} is not an allowed value (did you mean {close[0]!r}?)"
    shown = ", ".join(text[:12]) + (f", … ({len(text)} in all)" if len(text) > 12 else "")
    return f"{value!r} is not an allowed value; expected one of: {shown}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_name(value: Any) -> str:
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "integer": "an integer",
        "number": "a number",
        "boolean": "true or false",
        "null": "empty",
    }
    if isinstance(value, list):
        return " or ".join(names.get(str(v), str(v)) for v in value)
    return names.get(value, str(value))
