"""The body a PUT sends for an update.

ARM's PUT replaces the resource. The planner compares only the fields a manifest declares (no
perpetual diffs from settings made elsewhere), so sending only the declared body would silently
remove everything else on the next update. Instead an update sends the live resource's writable
fields with the declared ones laid over them: what the plan showed is exactly what changes.
With ``--strict`` the manifest is the whole truth and is sent as it is.
"""

from __future__ import annotations

from typing import Any

from reconciler.plan.compare import Node


def writable(live: Any, node: Node) -> Any:
    """``live`` without read-only fields and without fields the schema does not know."""
    if isinstance(live, dict):
        schema = node.branch(live).s
        known = schema.get("properties", {})
        out = {}
        for key, value in live.items():
            if not node.is_map and key not in known:
                continue
            child = node.child(key, live)
            if child.flag("readOnly"):
                continue
            out[key] = writable(value, child)
        return out
    if isinstance(live, list):
        return [writable(item, node.items()) for item in live]
    return live


def overlay(base: Any, declared: Any) -> Any:
    """``declared`` laid over ``base``: maps merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(declared, dict):
        merged = dict(base)
        lowered = {k.lower(): k for k in base}
        for key, value in declared.items():
            existing = lowered.get(key.lower(), key)
            if existing != key:
                merged.pop(existing, None)  # same key in another casing: the manifest's wins
            merged[key] = overlay(base.get(existing), value)
        return merged
    return declared


def update_body(
    declared: dict[str, Any], live: Any, schema: dict[str, Any], *, strict: bool
) -> dict[str, Any]:
    if strict or not isinstance(live, dict):
        return declared
    result = overlay(writable(live, Node(schema, schema)), declared)
    assert isinstance(result, dict)
    return result
