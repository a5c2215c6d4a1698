"""What the reader found in Azure: plain data handed from the reader to the planner.

Kept apart from :mod:`reconciler.read.live` (which does the I/O) so that the planner depends on
the shape of live state, never on the HTTP client that fetched it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reconciler.manifest.model import Address

Key = tuple[str, ...]
Body = dict[str, Any]


@dataclass(frozen=True)
class Found:
    """What Azure holds at ``address``: its body, or None where ARM said it is absent."""

    address: Address
    body: Body | None


@dataclass
class LiveState:
    """Every resource read, of every kind, in one map by address key (names compare
    case-insensitively): the declared ones (None where absent) and the undeclared ones listed
    beside them. Plus what came with reading: the credentials ``listsecrets`` returned (by
    address key; None when it returned none), resource groups found missing, a note when
    secrets could not be compared, and the calls made."""

    resources: dict[Key, Found] = field(default_factory=dict)
    credentials: dict[Key, Body | None] = field(default_factory=dict)
    missing_resource_groups: set[tuple[str, str]] = field(default_factory=set)
    secrets_note: str | None = None
    calls: dict[str, int] = field(default_factory=dict)

    def put(self, address: Address, body: Body | None) -> None:
        """``body`` as the reader made it: :func:`without_nulls` already applied (the planner
        compares it as it is)."""
        self.resources[address.key] = Found(address, body)

    def get(self, address: Address) -> Body | None:
        """The live body of ``address``; None when absent or not read."""
        found = self.resources.get(address.key)
        return found.body if found is not None else None

    def present(self) -> Iterator[Found]:
        """Every resource that exists, in the order it was read."""
        return (f for f in self.resources.values() if f.body is not None)


def without_nulls(value: Any) -> Any:
    """``value`` with every explicit null dropped: ARM writes ``"containerRegistry": null`` for a
    field that is not set, and means exactly "absent".

    Done once, as live state is read, so that comparing, building a PUT body and exporting all
    see one shape (a null copied into a PUT body is a 400: "None is not of type 'string'").
    """
    # Containers only are walked: a call per scalar was most of the cost (10,000 bodies a plan).
    if isinstance(value, dict):
        return {
            k: without_nulls(v) if isinstance(v, dict | list) else v
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, list):
        return [
            without_nulls(v) if isinstance(v, dict | list) else v for v in value if v is not None
        ]
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
