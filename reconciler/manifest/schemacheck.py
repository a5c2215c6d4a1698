"""Check one manifest document against the generated ``manifest.schema.json``.

Two validators, one answer. A compiled validator (jsonschema-rs, ~100x faster than jsonschema
on our documents) decides whether a document is valid; only a document it rejects, or cannot
read, goes to jsonschema (:mod:`reconciler.manifest.schemaexplain`), which finds every problem
and words it. So every message is jsonschema's, as before, and a valid manifest never imports
jsonschema. Both validators run the same schema with the same meaning of our keywords
(:mod:`reconciler.manifest.schemarules`): the schema's annotations are enforced —

* ``readOnly`` fields are server-set and rejected in manifests;
* ``x-reconciler-secret`` fields must be references, not literals (unless allowed);

and ``pattern`` and ``format`` are Python's. tests/manifest/test_schema_fast_path.py holds the
two validators to the same verdict on generated valid and invalid documents.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema_rs

from reconciler.manifest import schemarules
from reconciler.manifest.schemarules import LITERAL_SECRET, SERVER_SET, SchemaIssue

__all__ = ["LITERAL_SECRET", "SERVER_SET", "SchemaIssue", "check", "is_valid"]


class _Keyword:
    """A custom keyword of jsonschema-rs: built once per schema location with its value;
    ``validate`` raises when the instance violates it (the message is never shown)."""

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[Any]):
        self.value = value

    def validate(self, instance: Any) -> None:
        raise NotImplementedError


class _ReadOnly(_Keyword):
    def validate(self, instance: Any) -> None:
        if self.value is True:
            raise ValueError(SERVER_SET)


class _LiteralSecret(_Keyword):
    def validate(self, instance: Any) -> None:
        if self.value is True and isinstance(instance, str):
            raise ValueError(LITERAL_SECRET)


class _Pattern(_Keyword):
    def validate(self, instance: Any) -> None:
        if not schemarules.matches(self.value, instance):
            raise ValueError("pattern")


class _Format(_Keyword):
    def validate(self, instance: Any) -> None:
        conforms = schemarules.FORMATS.get(self.value)
        if conforms is not None and not conforms(instance):
            raise ValueError("format")


@cache
def _compiled(
    allow_literal_secrets: bool, kind: str | None, auth_type: str | None, suffix: str = ""
) -> jsonschema_rs.Validator:
    keywords: dict[str, type[jsonschema_rs.KeywordValidator]] = {
        "readOnly": _ReadOnly,
        "pattern": _Pattern,
        "format": _Format,
    }
    if not allow_literal_secrets:
        keywords["x-reconciler-secret"] = _LiteralSecret
    schema = schemarules.document_schema(kind, auth_type, suffix)
    return jsonschema_rs.Draft202012Validator(schema, keywords=keywords)


def is_valid(
    document: Any, *, allow_literal_secrets: bool = False, api_version: str | None = None
) -> bool | None:
    """The compiled validator's verdict, or None when it cannot read ``document`` (a
    mapping key that is not a string, a string that is not valid Unicode …)."""
    kind, auth_type = schemarules.dispatch(document)
    suffix = schemarules.suffix(kind, document, api_version)
    try:
        validator = _compiled(allow_literal_secrets, kind, auth_type, suffix)
        return bool(validator.is_valid(document))
    except (ValueError, TypeError, OverflowError):
        return None


def check(
    document: Any, *, allow_literal_secrets: bool = False, api_version: str | None = None
) -> list[SchemaIssue]:
    """Every schema problem in ``document`` (empty when valid). ``api_version``: the one a
    Defaults document gives the document's kind, used when it names none itself."""
    if is_valid(document, allow_literal_secrets=allow_literal_secrets, api_version=api_version):
        return []
    from reconciler.manifest import schemaexplain  # imports jsonschema: only when needed

    kind, auth_type = schemarules.dispatch(document)
    return schemaexplain.explain(
        document,
        allow_literal_secrets=allow_literal_secrets,
        kind=kind,
        auth_type=auth_type,
        suffix=schemarules.suffix(kind, document, api_version),
    )
