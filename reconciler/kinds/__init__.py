"""The resource kinds the reconciler manages: one module each, listed here in dependency order.

A kind's module declares what is particular to it (:class:`~reconciler.kinds.base.ResourceKind`);
reading, planning, applying, rendering and exporting loop over :data:`KINDS`. A new kind is a
new module (which names its own ``KIND``), one entry in :data:`KINDS` after its parent, its
rows in the schema generator's table (``reconciler/schemas/versions.py``: the definition per
api-version, and its parent) with the schemas regenerated, and its tests. The manifest layer
below this package reads any kind that table knows, generically; the emulator knows nothing of
the product and models each resource type itself. Addresses nest one level (a resource in a
resource group, or in one parent there).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler.kinds.base import ResourceKind
from reconciler.kinds.connection import CONNECTION
from reconciler.kinds.outbound_rule import OUTBOUND_RULE
from reconciler.kinds.workspace import WORKSPACE
from reconciler.manifest.load import Report
from reconciler.manifest.model import ResourceManifest
from reconciler.manifest.yamlsource import SourceDocument

# Parents before their children: apply writes in this order, and the plan lists it.
KINDS: tuple[ResourceKind, ...] = (WORKSPACE, CONNECTION, OUTBOUND_RULE)

_BY_NAME: dict[str, ResourceKind] = {k.kind: k for k in KINDS}


def get(kind: str) -> ResourceKind | None:
    """The kind named ``kind`` (a Kind or its value), or None for one not managed here (a
    Playwright audit)."""
    return _BY_NAME.get(str(kind))


def of(kind: str) -> ResourceKind:
    """The managed kind named ``kind``; a KeyError for any other."""
    return _BY_NAME[str(kind)]


def children(parent: ResourceKind) -> tuple[ResourceKind, ...]:
    """The kinds that live in a ``parent`` resource, in registry order."""
    return tuple(k for k in KINDS if k.parent is not None and k.parent.kind == parent.kind)


def cross_check(
    top: list[tuple[ResourceManifest, SourceDocument]], left_out: set[str], report: Report
) -> list[tuple[ResourceManifest, SourceDocument]]:
    """Every kind's rule across documents (``ResourceKind.cross_check``), for the manifest
    loader (``LoadOptions.cross_check``)."""
    for kind in KINDS:
        if kind.cross_check is not None:
            top = kind.cross_check(top, left_out, report)
    return top


def resolve(manifest: ResourceManifest) -> ResourceManifest:
    """The manifest with each reference to another declared resource (``refs``) filled in as
    that resource's ARM id: what the planner compares and apply sends."""
    if not manifest.refs:
        return manifest
    spec: dict[str, Any] = dict(manifest.spec)
    for path, address in manifest.refs:
        spec = _set(spec, path.split("."), of(address.kind).path(address))
    return replace(manifest, spec=spec)


def _set(body: dict[str, Any], path: list[str], value: str) -> dict[str, Any]:
    head, *rest = path
    if not rest:
        return {**body, head: value}
    inner = body.get(head)
    return {**body, head: _set(inner if isinstance(inner, dict) else {}, rest, value)}


__all__ = [
    "CONNECTION",
    "KINDS",
    "OUTBOUND_RULE",
    "WORKSPACE",
    "ResourceKind",
    "children",
    "cross_check",
    "get",
    "of",
    "resolve",
]
