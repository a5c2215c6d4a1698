"""What the service does by itself: fields only it writes, and values it fills in.

Known so that a comparison does not call the service's own doing a change: without it a
``--strict`` plan lists the region-derived ``discoveryUrl`` as a removal after every apply, and
an update refuses over a field no PUT could ever send. Data, not code, each entry with where it
comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.manifest.model import Kind

# Fields real ARM answers carry that no api-version accepts in a PUT body (server-only, and
# undocumented, so the schema cannot mark them read-only).
SERVER_ONLY = frozenset({"sdkTelemetryAppInsightsKey"})

# Fields newer api-versions define, at the value the service assumes when a PUT leaves them
# out (2024-04-01 workspaceRP.json: a workspace without ``kind`` is a Default workspace).
ASSUMED_WHEN_ABSENT: dict[str, Any] = {"kind": "Default"}

# Fields the service keeps whatever a PUT sends: a workspace's ``kind`` (Hub, Project,
# FeatureStore) is fixed at creation, and an update that leaves it out (as every 2023-04-01
# body does) neither loses nor changes it. So it is never a loss that blocks an update, and
# never a removal a strict plan could promise.
KEPT_BY_SERVICE = frozenset({"kind"})

# Values the service fills in when a PUT leaves the field out, by resource kind and path. A
# strict plan does not call them removals: the next GET shows them again whatever is sent.
ANY = object()  # the service derives the value (e.g. discoveryUrl from the region)
SERVER_DEFAULTS: dict[Kind, dict[str, Any]] = {
    Kind.WORKSPACE: {
        "sku": {"name": "Basic", "tier": "Basic"},
        "properties.publicNetworkAccess": "Enabled",
        "properties.discoveryUrl": ANY,
    },
    Kind.CONNECTION: {
        "properties.isSharedToAll": False,
    },
}


def empty(value: Any) -> bool:
    """Nothing to keep: null, ``""``, ``{}``, ``[]`` or ``false`` (every flag's absent value)."""
    return value is None or value is False or value in ("", {}, [])


def server_defaults(kind: Kind, name: str) -> dict[str, Any]:
    """The values the service fills in for resource ``name`` (a workspace's friendlyName is
    its name)."""
    defaults = dict(SERVER_DEFAULTS.get(kind, {}))
    if kind is Kind.WORKSPACE:
        defaults["properties.friendlyName"] = name
    return defaults


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
