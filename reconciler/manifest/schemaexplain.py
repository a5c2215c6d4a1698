"""Explain a manifest document's schema violations, one message per problem.

jsonschema walks the document and reports every violation with where it sits;
this module turns them into messages a person can act on: pinned to the key or value that
caused it, with "did you mean" for unknown fields and enum values, and the schema's own
annotations enforced (``readOnly``, ``x-reconciler-secret``). It runs only for documents
the compiled validator of :mod:`reconciler.manifest.schemacheck` found invalid (or could
not read): jsonschema costs ~0.2 s to import and ~0.15 ms a document, so valid manifests
never pay for it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.protocols import Validator

from reconciler.manifest import schemarules
from reconciler.manifest.schemarules import SchemaIssue
from reconciler.manifest.yamlsource import JsonPath


def _read_only(
    validator: Validator, value: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if value is True:
        yield ValidationError(schemarules.SERVER_SET, validator="readOnly")


def _literal_secret(
    validator: Validator, value: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if value is True and isinstance(instance, str):
        yield ValidationError(schemarules.LITERAL_SECRET, validator="x-reconciler-secret")


def _pattern(
    validator: Validator, value: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not schemarules.matches(value, instance):
        yield ValidationError(f"does not match {value!r}", validator="pattern")


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, conforms in schemarules.FORMATS.items():
        checker.checks(name)(conforms)
    return checker


@cache
def _validator(
    allow_literal_secrets: bool, kind: str | None, auth_type: str | None, suffix: str
) -> Validator:
    keywords: dict[str, Any] = {"readOnly": _read_only, "pattern": _pattern}
    if not allow_literal_secrets:
        keywords["x-reconciler-secret"] = _literal_secret
    cls = validators.extend(Draft202012Validator, keywords)  # type: ignore[no-untyped-call]
    schema = schemarules.document_schema(kind, auth_type, suffix)
    return cls(schema, format_checker=_format_checker())  # type: ignore[no-any-return]


def explain(
    document: Any,
    *,
    allow_literal_secrets: bool,
    kind: str | None,
    auth_type: str | None,
    suffix: str = "",
) -> list[SchemaIssue]:
    """Every schema problem in ``document`` (empty when valid), sorted by field path; checked
    against its kind's schema at the api-version ``suffix`` names (empty: the default's)."""
    validator = _validator(allow_literal_secrets, kind, auth_type, suffix)
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
