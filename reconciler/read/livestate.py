"""What the reader found in Azure: plain data handed from the reader to the planner.

Kept apart from :mod:`reconciler.read.live` (which does the I/O) so that the planner depends on
the shape of live state, never on the HTTP client that fetched it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, ...]


@dataclass
class LiveState:
    workspaces: dict[Key, dict[str, Any] | None] = field(default_factory=dict)
    connections: dict[Key, dict[str, dict[str, Any]]] = field(default_factory=dict)
    credentials: dict[Key, dict[str, Any] | None] = field(default_factory=dict)
    missing_resource_groups: set[tuple[str, str]] = field(default_factory=set)
    secrets_note: str | None = None
    calls: dict[str, int] = field(default_factory=dict)


def without_nulls(value: Any) -> Any:
    """``value`` with every explicit null dropped: ARM writes ``"containerRegistry": null`` for a
    field that is not set, and means exactly "absent".

    Done once, as live state is read, so that comparing, building a PUT body and exporting all
    see one shape (a null copied into a PUT body is a 400: "None is not of type 'string'").
    """
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value if v is not None]
    return value


# Top-level fields of an ARM resource and the JSON type each must have when present.
_RESOURCE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "name": str,
    "type": str,
    "location": str,
    "kind": str,
    "properties": dict,
    "tags": dict,
    "identity": dict,
    "sku": dict,
    "systemData": dict,
}


def resource_problem(body: Any) -> str | None:
    """Why ``body`` cannot be an ARM resource (``[]``, ``{"properties": "x"}``, no name), or None.

    An answer of the wrong shape must stop the run: read as "absent" or half-read, it turns
    into a create or an update that overwrites what exists.
    """
    if body is None:
        return "an empty body where a resource was expected"
    if not isinstance(body, dict):
        return f"expected a resource (a JSON object), got {type(body).__name__}"
    for key, kind in _RESOURCE_FIELDS.items():
        value = body.get(key)
        if value is not None and not isinstance(value, kind):
            return f"field {key!r} has the wrong type ({type(value).__name__})"
    if not body.get("name"):
        return "the resource has no name"
    return None
