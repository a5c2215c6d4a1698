"""Which live resources this configuration owns, and may therefore delete with ``--prune``.

Apply writes ``metadata.managed-by: azureml-reconciler/<owner>`` into every connection it creates,
where ``<owner>`` identifies one configuration (``owner`` in a Defaults document, or
``--owner``). ``--prune`` deletes an undeclared connection only when its marker names exactly
this owner: another team's configuration in a shared workspace, a hand-made connection, or one
marked by an older version without an owner is left alone. Manifests may not write the key
themselves (the loader refuses it), so a pull request cannot make a connection prunable.

A kind that cannot carry a marker (an outbound rule: no tags, no metadata) is owned through its
parent instead (:func:`adopted`): only where this configuration names an owner, declares the
parent as owning them (a workspace's managed network, of which the rules are part) and declares
at least one of them in it — so a configuration that merely references a workspace, or declares
none of its rules, never deletes one.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import ResourceKind
from reconciler.kinds.connection import OWNER_KEY
from reconciler.manifest.model import ManifestSet, ResourceManifest

__all__ = [
    "OWNER_KEY",
    "OWNER_VALUE",
    "adopted",
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


def adopted(kind: ResourceKind, parent: ResourceManifest, manifests: ManifestSet) -> str | None:
    """Why this configuration owns ``parent``'s undeclared resources of ``kind``, which cannot
    carry the marker: it names an owner, declares the parent as owning them
    (:attr:`ResourceKind.owned_with_parent`) and declares at least one of them there."""
    if kind.owned_with_parent is None or not manifests.owner:
        return None
    if not kind.owned_with_parent(parent.spec):
        return None
    siblings = (
        m
        for m in manifests.resources
        if m.address.kind == kind.kind and kind.parent_address(m.address).key == parent.address.key
    )
    if next(siblings, None) is None:
        return None
    assert kind.parent is not None
    where = f"{kind.parent.noun} {parent.address.name}"
    return f"in {where}, whose {kind.noun}s this configuration declares"
