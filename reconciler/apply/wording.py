"""How a failed write is worded for the user: what the service quoted back with the secrets
the request carried taken out, and a refusal the user can act on explained before the service's
own words (a name held by a soft-deleted resource).

Apart from the applier, which decides what to write and when, so that the wording of its
failures reads in one place."""

from __future__ import annotations

from typing import Any

from reconciler.errors import ArmError, ReconcilerError
from reconciler.kinds import ResourceKind
from reconciler.manifest import secrets


def secret_values(spec: Any, body: Any) -> list[str]:
    """The resolved values in ``body`` at the places ``spec`` holds secret references."""
    values = []
    for path, _ in secrets.find_refs(spec):
        current = body
        for part in path:
            current = current.get(part) if isinstance(current, dict) else None
        if isinstance(current, str) and current:
            values.append(current)
    return values


def explained(kind: ResourceKind, name: str, error: ReconcilerError, detail: str) -> str:
    """A failure as the user can act on it: a create refused because a soft-deleted resource
    holds the name says so, and what to do, before the service's own words."""
    soft = kind.soft_delete
    if soft is None or not isinstance(error, ArmError) or not soft.refused(error.message):
        return detail
    return (
        f"the name {name!r} is held by a soft-deleted {kind.noun}: Azure keeps a deleted "
        f"{kind.noun} (up to {soft.retention_days} days) and refuses to create another of that "
        f"name until it is purged. To go on: {soft.remedies}. Azure said: {detail}"
    )


def scrub(text: str, values: list[str]) -> str:
    """``text`` with each of ``values`` replaced by "(redacted)", the longest first: a service
    may quote a request back in its error, and one value may hold another."""
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, "(redacted)")
    return text
