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

from reconciler.kinds.base import ResourceKind
from reconciler.kinds.connection import CONNECTION
from reconciler.kinds.outbound_rule import OUTBOUND_RULE
from reconciler.kinds.workspace import WORKSPACE

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


__all__ = [
    "CONNECTION",
    "KINDS",
    "OUTBOUND_RULE",
    "WORKSPACE",
    "ResourceKind",
    "children",
    "get",
    "of",
]
