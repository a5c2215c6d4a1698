"""The API contract per api-version, as the resource provider enforces it on requests.

Reads the emulator's own generated schemas (``specs/<api-version>.json``, see
:mod:`reconciler.emulator.specgen`): which operations an api-version has, the patterns of
their path parameters, and their request bodies. An api-version Azure accepts but
../shared/specs has no definitions for is checked against the newest defined version older
than it, as the service's newer versions extend the older ones.

How ARM treats a request body, and so how it is validated here:

* fields the api-version does not define are ignored, never refused (objects stay open);
* read-only fields are ignored (a client may send back what it read);
* ``null`` is an absent value (the service's JSON deserializer reads it so);
* enum values compare case-insensitively, and ``SystemAssigned, UserAssigned`` equals
  ``SystemAssigned,UserAssigned`` (the service parses enums and flags so);
* nesting deeper than 64 levels is refused (the JSON reader's maximum depth).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

SPECS_DIR = Path(__file__).resolve().parent / "specs"
# Every api-version Azure serves these operations at that the emulator accepts.
ACCEPTED = ("2023-04-01", "2024-04-01", "2024-10-01", "2025-06-01", "2025-09-01", "2025-12-01")
MAX_DEPTH = 64


@functools.cache
def defined_versions() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in SPECS_DIR.glob("*.json")))


@functools.cache
def spec_version(api_version: str) -> str:
    """The defined api-version a request is checked against: its own, or the newest older."""
    older = [v for v in defined_versions() if v <= api_version]
    return older[-1] if older else defined_versions()[0]


@functools.cache
def document(spec: str) -> dict[str, Any]:
    return dict(json.loads((SPECS_DIR / f"{spec}.json").read_text(encoding="utf-8")))


@functools.cache
def has_operation(api_version: str, operation_id: str) -> bool:
    return operation_id in document(spec_version(api_version))["operations"]


@functools.cache
def path_pattern(api_version: str, operation_id: str, parameter: str) -> str | None:
    """The documented pattern of a path parameter (``workspaceName`` ...), if the spec has one."""
    operation = document(spec_version(api_version))["operations"].get(operation_id) or {}
    found = (operation.get("pathParameters") or {}).get(parameter) or {}
    pattern = found.get("pattern")
    return str(pattern) if pattern else None


def _enum_key(value: str) -> str:
    """Case-insensitive; a flags value's parts with or without spaces after the commas."""
    return ",".join(part.strip() for part in value.lower().split(","))


def _ci_enum(
    validator: Any, enums: list[Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, str):
        if any(isinstance(e, str) and _enum_key(e) == _enum_key(instance) for e in enums):
            return
    elif instance in enums:
        return
    yield ValidationError(f"{instance!r} is not one of {enums!r}")


def _writable_properties(
    validator: Any, properties: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for name, sub in properties.items():
        if name in instance and not sub.get("readOnly"):
            yield from validator.descend(instance[name], sub, path=name, schema_path=name)


def _writable_required(
    validator: Any, required: list[str], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties") or {}
    for name in required:
        if name not in instance and not (properties.get(name) or {}).get("readOnly"):
            yield ValidationError(f"{name!r} is a required property")


def _open_objects(
    validator: Any, additional: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """Unknown members are ignored, not refused; a map's values are still checked."""
    if not isinstance(additional, dict) or not validator.is_type(instance, "object"):
        return
    known = set(schema.get("properties") or {})
    for name, value in instance.items():
        if name not in known:
            yield from validator.descend(value, additional, path=name)


def _ignored(
    validator: Any, value: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    return iter(())


_RequestValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {
        "enum": _ci_enum,
        "properties": _writable_properties,
        "required": _writable_required,
        "additionalProperties": _open_objects,
        "unevaluatedProperties": _ignored,
    },
)


@functools.cache
def _validator(spec: str, operation_id: str) -> Any:
    doc = document(spec)
    body = doc["operations"][operation_id]["body"]
    return _RequestValidator({"$defs": doc["$defs"], **body})


def without_nulls(value: Any) -> Any:
    """A body as the service reads it: a ``null`` member is an absent one."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Iteratively, so that a hostile body cannot exhaust the stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def body_errors(api_version: str, operation_id: str, body: Any) -> list[dict[str, Any]]:
    """``ErrorDetail`` entries for every way ``body`` breaks the operation's definition."""
    spec = spec_version(api_version)
    if document(spec)["operations"].get(operation_id, {}).get("body") is None:
        return []
    details = []
    errors = _validator(spec, operation_id).iter_errors(body)
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        details.append(
            {"code": "ValidationError", "target": path.lstrip(".") or "$", "message": error.message}
        )
    return details


def _members(spec: str, definition: str) -> set[str]:
    """Property names of a definition, inherited ones (allOf) included."""
    defs = document(spec)["$defs"]
    names: set[str] = set()
    stack = [defs.get(definition) or {}]
    while stack:
        schema = stack.pop()
        names |= set(schema.get("properties") or {})
        for part in schema.get("allOf") or []:
            ref = part.get("$ref", "")
            if ref.startswith("#/$defs/"):
                stack.append(defs.get(ref.removeprefix("#/$defs/")) or {})
    return names


@functools.cache
def workspace_fields(api_version: str) -> tuple[frozenset[str], frozenset[str]]:
    """The workspace's top-level and ``properties`` members at an api-version."""
    spec = spec_version(api_version)
    return frozenset(_members(spec, "Workspace")), frozenset(_members(spec, "WorkspaceProperties"))


@functools.cache
def workspace_update_fields(api_version: str) -> frozenset[str]:
    """The ``properties`` members a workspace PATCH reads at an api-version (its update model,
    ``WorkspacePropertiesUpdateParameters``: no create-only or server-set member)."""
    return frozenset(_members(spec_version(api_version), "WorkspacePropertiesUpdateParameters"))


def as_read(body: dict[str, Any], members: frozenset[str]) -> dict[str, Any]:
    """A request body as the resource provider's model reads it: ``properties`` members the
    model does not define are dropped (ignored, never stored, never shown by a GET)."""
    given = body.get("properties")
    if not isinstance(given, dict):
        return body
    return {**body, "properties": {k: v for k, v in given.items() if k in members}}


def workspace_shape(api_version: str | None, view: dict[str, Any]) -> dict[str, Any]:
    """A workspace as an api-version serialises it: members it does not define are left out."""
    if not api_version or api_version not in ACCEPTED:
        return view
    top, props = workspace_fields(api_version)
    shaped = {k: v for k, v in view.items() if k in top}
    if isinstance(view.get("properties"), dict):
        shaped["properties"] = {k: v for k, v in view["properties"].items() if k in props}
    return shaped


def _variant(spec: str, definition: str, discriminator_value: str) -> str | None:
    """The definition a polymorphic one takes for a discriminator value (its ``if``/``then``)."""
    for part in document(spec)["$defs"].get(definition, {}).get("allOf") or []:
        condition: dict[str, Any] = (part.get("if") or {}).get("properties") or {}
        tested: dict[str, Any] = next(iter(condition.values()), {})
        values = tested.get("enum") or []
        if discriminator_value.lower() in (str(v).lower() for v in values):
            return str(part["then"]["$ref"]).removeprefix("#/$defs/")
    return None


@functools.cache
def connection_fields(api_version: str, auth_type: str) -> tuple[frozenset[str], frozenset[str]]:
    """A connection's top-level and ``properties`` members at an api-version, for its
    ``authType`` (each auth type's definition adds its own members, ``credentials`` ...)."""
    spec = spec_version(api_version)
    props = _members(spec, "WorkspaceConnectionPropertiesV2.base")
    variant = _variant(spec, "WorkspaceConnectionPropertiesV2", auth_type)
    if variant is not None:
        props |= _members(spec, variant)
    top = _members(spec, "WorkspaceConnectionPropertiesV2BasicResource")
    return frozenset(top), frozenset(props)


def connection_shape(api_version: str | None, view: dict[str, Any]) -> dict[str, Any]:
    """A connection as an api-version serialises it: members it does not define are left out."""
    if not api_version or api_version not in ACCEPTED:
        return view
    given = view.get("properties")
    props: dict[str, Any] = given if isinstance(given, dict) else {}
    top, members = connection_fields(api_version, str(props.get("authType", "")))
    shaped = {k: v for k, v in view.items() if k in top}
    shaped["properties"] = {k: v for k, v in props.items() if k in members}
    return shaped
