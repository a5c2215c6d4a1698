"""What an update can write back, and what it would lose: rules the planner and applier share.

ARM's PUT replaces the whole resource, so an update must send back everything it keeps. Two
things cannot be sent back, and an update that would silently lose them is refused instead
(the plan says so, apply skips the resource and exits non-zero):

* a live field the api-version in use does not define (set by the portal or a newer
  api-version: ``managedNetwork``, ``enableDataIsolation: true`` …; not ``kind``, which the
  service keeps);
* a connection's stored credentials, when the manifest does not declare them (GET never
  returns credentials, so there is nothing to send back but the manifest's references).

Pure functions over bodies and schemas; no I/O.
"""

from __future__ import annotations

from typing import Any

from reconciler.plan.server import KEPT_BY_SERVICE, SERVER_ONLY, empty, is_assumed
from reconciler.schemas.node import Node


def uncarried(live: Any, node: Node, path: str = "", *, fixed: bool = False) -> list[str]:
    """Paths of live fields the schema (the api-version in use) cannot carry in a PUT and
    whose loss would matter: not empty, not server-only, not at the value assumed when absent.
    ``fixed``: also what the service fixed at creation (a workspace's kind), which an update
    never loses but a resource re-created from the body would (export)."""
    if not isinstance(live, dict):
        return []
    found: list[str] = []
    known = node.branch(live).s.get("properties", {})
    for key, value in live.items():
        here = f"{path}.{key}" if path else key
        if not node.is_map and key not in known:
            if key in SERVER_ONLY or (here in KEPT_BY_SERVICE and not fixed) or empty(value):
                continue
            if is_assumed(here, value):
                continue
            found.append(here)
            continue
        child = node.child(key, live)
        if child.flag("readOnly"):
            continue
        found += uncarried(value, child, here, fixed=fixed)
    return sorted(found)


def uncarried_reason(fields: list[str], api_version: str) -> str:
    one = len(fields) == 1
    return (
        f"cannot be updated without losing {', '.join(fields)}: api-version {api_version} "
        f"cannot send {'it' if one else 'them'} back and ARM's PUT replaces the whole "
        f"resource; change {'it' if one else 'them'} where {'it was' if one else 'they were'} "
        f"set, or apply with --strict to remove {'it' if one else 'them'} (the strict plan "
        "lists what it removes)"
    )


def credentials_missing(spec: dict[str, Any], node: Node) -> bool:
    """The declared auth type stores credentials, but the manifest declares none: a PUT of
    this body would wipe the ones stored in Azure."""
    props = spec.get("properties")
    if not isinstance(props, dict) or props.get("credentials") is not None:
        return False
    branch = node.child("properties", spec).branch(props)
    return "credentials" in branch.s.get("properties", {})


def credentials_reason(name: str) -> str:
    return (
        f"cannot update connection {name!r} without wiping its stored credentials (GET never "
        "returns them and ARM's PUT replaces the whole connection): declare "
        "spec.properties.credentials with references ({fromEnv: NAME} or {fromFile: PATH}); "
        "apply then sends them resolved"
    )
