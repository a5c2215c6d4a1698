"""How answers look: ``clean`` (what was written, plus server-set fields) or ``realistic``
(what recordings of Azure show, and what clients must survive).

Realistic answers carry explicit ``null``s for unset optional members, empty strings where
Azure sends them, dependent-resource ids with lower-cased segments, server-only fields, an
identity type without the space (``SystemAssigned,UserAssigned``), and the members of the
newer api-version a resource was written with, whatever version reads it.
"""

from __future__ import annotations

import re
from typing import Any

CLEAN = "clean"
REALISTIC = "realistic"
SHAPES = (CLEAN, REALISTIC)

_WORKSPACE_NULLS = ("containerRegistry", "applicationInsights", "encryption", "hubResourceId")
_WORKSPACE_EMPTY = ("friendlyName", "description", "imageBuildCompute")
_DEPENDENCY_IDS = ("keyVault", "storageAccount", "applicationInsights", "containerRegistry")
_CONNECTION_NULLS = ("valueFormat", "expiryTime", "value", "error", "peRequirement", "peStatus")


def _lowered_id(arm_id: str) -> str:
    """``/subscriptions/S/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/N`` as Azure
    echoes it: ``resourcegroups`` and the provider and type lower-cased."""
    return re.sub(
        r"/resourceGroups/([^/]+)/providers/([^/]+)/([^/]+)/",
        lambda m: (
            f"/resourcegroups/{m.group(1)}/providers/{m.group(2).lower()}/{m.group(3).lower()}/"
        ),
        arm_id,
        flags=re.IGNORECASE,
    )


def realistic_workspace(view: dict[str, Any], resource_group: str) -> dict[str, Any]:
    out = {**view, "properties": dict(view.get("properties") or {})}
    props = out["properties"]
    for name in _WORKSPACE_NULLS:
        props.setdefault(name, None)
    for name in _WORKSPACE_EMPTY:
        if props.get(name) is None:
            props[name] = ""
    for name in _DEPENDENCY_IDS:
        if isinstance(props.get(name), str):
            props[name] = _lowered_id(props[name])
    props.setdefault("sdkTelemetryAppInsightsKey", "00000000-0000-0000-0000-000000000000")
    props.setdefault("serviceProvisionedResourceGroup", f"azureml-rg-{resource_group}")
    identity = out.get("identity")
    if isinstance(identity, dict) and isinstance(identity.get("type"), str):
        out["identity"] = {**identity, "type": identity["type"].replace(", ", ",")}
    out.setdefault("tags", {})
    return out


def realistic_connection(view: dict[str, Any]) -> dict[str, Any]:
    out = {**view, "properties": dict(view.get("properties") or {})}
    for name in _CONNECTION_NULLS:
        out["properties"].setdefault(name, None)
    return out
