"""What the service does by itself: fields only it writes, and values it fills in.

Known so that a comparison does not call the service's own doing a change: without it a
``--strict`` plan lists the region-derived ``discoveryUrl`` as a removal after every apply, and
an update refuses over a field no PUT could ever send. Each kind declares its own facts, with
where they come from (:mod:`reconciler.kinds`); the comparison applies the rules about unknown
fields of every kind to every body, as field names do not collide across kinds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler import kinds
from reconciler.kinds.base import ANY

SERVER_ONLY = frozenset().union(*(k.server_only for k in kinds.KINDS))
ASSUMED_WHEN_ABSENT: dict[str, Any] = {
    path: value for k in kinds.KINDS for path, value in k.assumed_when_absent.items()
}
KEPT_BY_SERVICE = frozenset().union(*(k.kept_by_service for k in kinds.KINDS))
CASE_INSENSITIVE = frozenset().union(*(k.case_insensitive for k in kinds.KINDS))


def empty(value: Any) -> bool:
    """Nothing to keep: null, ``""``, ``{}``, ``[]`` or ``false`` (every flag's absent value)."""
    return value is None or value is False or value in ("", {}, [])


def is_server_default(defaults: Mapping[str, Any], path: str, value: Any) -> bool:
    """``value`` at ``path`` is what the service fills in when the field is left out."""
    if path not in defaults:
        return False
    wanted = defaults[path]
    if wanted is ANY:
        return True
    if isinstance(wanted, str) and isinstance(value, str):
        return wanted.lower() == value.lower()
    return bool(wanted == value)


def is_assumed(path: str, value: Any) -> bool:
    """``value`` is what the service assumes when a PUT leaves ``path`` out (a workspace's
    ``kind: Default``, in any case): leaving it out loses nothing, at any api-version."""
    if path not in ASSUMED_WHEN_ABSENT:
        return False
    assumed = ASSUMED_WHEN_ABSENT[path]
    if isinstance(assumed, str) and isinstance(value, str):
        return assumed.lower() == value.lower()
    return bool(assumed == value)
