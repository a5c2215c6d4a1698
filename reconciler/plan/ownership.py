"""Which live connections this configuration owns, and may therefore delete with ``--prune``.

Apply writes ``metadata.managed-by: azureml-reconciler/<owner>`` into every connection it creates,
where ``<owner>`` identifies one configuration (``owner`` in a Defaults document, or
``--owner``). ``--prune`` deletes an undeclared connection only when its marker names exactly
this owner: another team's configuration in a shared workspace, a hand-made connection, or one
marked by an older version without an owner is left alone. Manifests may not write the key
themselves (the loader refuses it), so a pull request cannot make a connection prunable.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.connection import OWNER_KEY

__all__ = [
    "OWNER_KEY",
    "OWNER_VALUE",
    "by_this_tool",
    "foreign_marker",
    "foreign_reason",
    "marker",
    "marker_of",
    "owned_by",
]

OWNER_VALUE = "azureml-reconciler"  # the tool; the marker is OWNER_VALUE/<owner>


def marker(owner: str) -> str:
    """The marker value apply writes for ``owner`` (the bare tool name when none is set)."""
    return f"{OWNER_VALUE}/{owner}" if owner else OWNER_VALUE


def marker_of(body: Any) -> str | None:
    """The ``managed-by`` value of a live connection, or None."""
    props = body.get("properties") if isinstance(body, dict) else None
    metadata = props.get("metadata") if isinstance(props, dict) else None
    value = metadata.get(OWNER_KEY) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else None


def by_this_tool(value: str | None) -> bool:
    return value is not None and (value == OWNER_VALUE or value.startswith(OWNER_VALUE + "/"))


def owned_by(body: Any, owner: str) -> bool:
    """True only when ``owner`` is set and the connection's marker names exactly it."""
    return bool(owner) and marker_of(body) == marker(owner)


def foreign_marker(body: Any, owner: str) -> str | None:
    """The marker of another configuration on a live connection, or None.

    An update writes this configuration's marker, so updating a connection another
    configuration owns would take it over, and make it prunable here; such an update is
    refused. The bare marker of versions without owners is adopted, not foreign.
    """
    found = marker_of(body)
    if found is None or not by_this_tool(found) or found in (OWNER_VALUE, marker(owner)):
        return None
    return found


def foreign_reason(found: str, owner: str) -> str:
    return (
        f"managed by another configuration (managed-by: {found}); this one is "
        f"{marker(owner)}: an update would take it over (and let this configuration prune "
        "it), so it is refused; declare the connection in one configuration only"
    )
