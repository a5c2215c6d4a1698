"""The body a PUT sends for an update.

ARM's PUT replaces the resource. The planner compares only the fields a manifest declares (no
perpetual diffs from settings made elsewhere), so sending only the declared body would silently
remove everything else on the next update. Instead an update sends the live resource's writable
fields with the declared ones laid over them: what the plan showed is exactly what changes.
Objects in :data:`~reconciler.plan.compare.WHOLE` (``identity``) are sent as declared: which
members an identity has follows from its type. With ``--strict`` the manifest is the whole
truth and is sent as it is.

What an update cannot send back (fields the api-version does not define, a connection's stored
credentials) is refused before anything is sent: :func:`refusal`. No body ever carries a null:
ARM answers ``None is not of type 'string'``.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.plan.compare import WHOLE, Node
from reconciler.plan.writeback import (
    credentials_missing,
    credentials_reason,
    uncarried,
    uncarried_reason,
)
from reconciler.read.livestate import without_nulls


def writable(live: Any, node: Node) -> Any:
    """``live`` without read-only fields, nulls, and fields the schema does not know."""
    if isinstance(live, dict):
        schema = node.branch(live).s
        known = schema.get("properties", {})
        out = {}
        for key, value in live.items():
            if value is None or (not node.is_map and key not in known):
                continue
            child = node.child(key, live)
            if child.flag("readOnly"):
                continue
            out[key] = writable(value, child)
        return out
    if isinstance(live, list):
        return [writable(item, node.items()) for item in live if item is not None]
    return live


def overlay(base: Any, declared: Any, path: str = "") -> Any:
    """``declared`` laid over ``base``: maps merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(declared, dict) and path not in WHOLE:
        merged = dict(base)
        lowered = {k.lower(): k for k in base}
        for key, value in declared.items():
            existing = lowered.get(key.lower(), key)
            if existing != key:
                merged.pop(existing, None)  # same key in another casing: the manifest's wins
            here = f"{path}.{key}" if path else key
            merged[key] = overlay(base.get(existing), value, here)
        return merged
    return declared


def update_body(
    declared: dict[str, Any],
    live: Any,
    schema: dict[str, Any],
    *,
    strict: bool,
    carried: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The PUT body of an update: the declared fields over the live writable ones (only the
    declared, ``strict``), and in any case the live value at each ``carried`` path the
    manifest leaves out (what another kind manages there)."""
    if not isinstance(live, dict):
        result = declared
    elif strict:
        result = _carry(declared, without_nulls(live), carried)
    else:
        result = overlay(writable(without_nulls(live), Node(schema, schema)), declared)
    clean = without_nulls(result)
    assert isinstance(clean, dict)
    return clean


def _carry(declared: dict[str, Any], live: dict[str, Any], paths: frozenset[str]) -> dict[str, Any]:
    """``declared`` with the live value at each of ``paths`` it leaves out, where the live
    value's parent is declared too (nothing else of the live body is added)."""
    result = copy.deepcopy(declared)
    for path in sorted(paths):
        *parents, leaf = path.split(".")
        source: Any = live
        target: Any = result
        for part in parents:
            source = source.get(part) if isinstance(source, dict) else None
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(source, dict) and isinstance(target, dict) and leaf in source:
            target.setdefault(leaf, source[leaf])
    return result


def refusal(
    declared: dict[str, Any],
    live: Any,
    schema: dict[str, Any],
    *,
    strict: bool,
    api_version: str,
    connection: str | None = None,
) -> str | None:
    """Why this update must not be sent (it would lose what it cannot send back), or None."""
    node = Node(schema, schema)
    if connection is not None and credentials_missing(declared, node):
        return credentials_reason(connection)
    if not strict:
        fields = uncarried(without_nulls(live), node)
        if fields:
            return uncarried_reason(fields, api_version)
    return None
