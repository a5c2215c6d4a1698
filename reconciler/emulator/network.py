"""The outbound rules Azure adds itself to a workspace's managed network (pure functions).

With isolation mode ``AllowOnlyApprovedOutbound`` a workspace's managed network holds
``Required`` rules the user did not write, as a workspace of that mode shows them (the sample
output of azure.azcollection's ``azure_rm_ml_workspace_info``; the "List of required rules" of
Azure ML's managed-network how-to): service tags for the service itself, and private endpoints
to the workspace and the key vault, storage account (blob and file) and container registry it
uses. Their names are ``__SYS_ST_<tag>[_<protocol>]`` and
``__SYS_PE_<resource>_<subresource>_<8 hex>``. With ``AllowInternetOutbound`` Azure adds
private endpoints only to associated resources whose public access is disabled, which the
emulator cannot know, so it adds none; ``Disabled`` has no managed network.

Rules are ``Inactive`` until the managed network is provisioned, ``Active`` after.
"""

from __future__ import annotations

import hashlib
from typing import Any

APPROVED_ONLY = "AllowOnlyApprovedOutbound"
# (service tag, protocol, port ranges); "{region}" is the workspace's location.
_SERVICE_TAGS = (
    ("AzureActiveDirectory", "TCP", "80, 443"),
    ("AzureFrontDoor.FirstParty", "*", "*"),
    ("AzureMachineLearning", "TCP", "443"),
    ("AzureMachineLearning", "UDP", "5831"),
    ("AzureMonitor", "TCP", "443"),
    ("AzureResourceManager", "TCP", "443"),
    ("BatchNodeManagement", "TCP", "443"),
    ("MicrosoftContainerRegistry.{region}", "TCP", "443"),
    ("VirtualNetwork", "*", "*"),
)
# workspace property -> the private endpoints' subresources
_ENDPOINTS = {
    "storageAccount": ("blob", "file"),
    "keyVault": ("vault",),
    "containerRegistry": ("registry",),
}


# Isolation modes, least restrictive first: a managed network only tightens. Azure ML's
# managed-network how-to: once allowing internet outbound, a workspace cannot go back to
# disabled; once allowing only approved outbound, it cannot go back to internet outbound.
_MODES = ("disabled", "allowinternetoutbound", "allowonlyapprovedoutbound")


def loosening(stored: dict[str, Any], given: dict[str, Any]) -> str | None:
    """Why an update of ``stored`` (a workspace) by ``given`` (a PUT or PATCH body) is refused:
    it names a less restrictive isolation mode than the one in force, or None."""
    network = (given.get("properties") or {}).get("managedNetwork")
    wanted = network.get("isolationMode") if isinstance(network, dict) else None
    current = _settings(stored).get("isolationMode") or "Disabled"
    if not isinstance(wanted, str) or wanted.lower() not in _MODES:
        return None
    if _MODES.index(wanted.lower()) >= _MODES.index(str(current).lower()):
        return None
    return (
        f"Managed network isolation mode cannot be changed from '{current}' to '{wanted}': "
        "an isolation mode can only be made more restrictive once it is set."
    )


def kind_going_back(stored: dict[str, Any], given: dict[str, Any]) -> str | None:
    """Why an update of ``stored`` by ``given`` is refused: it names managed network kind V1
    where V2 is in force ("cannot switch back to V1 once V2 is enabled": 2025-09-01
    workspaceRP.json), or None."""
    network = (given.get("properties") or {}).get("managedNetwork")
    wanted = network.get("managedNetworkKind") if isinstance(network, dict) else None
    current = _settings(stored).get("managedNetworkKind")
    if str(wanted).lower() != "v1" or str(current).lower() != "v2":
        return None
    return f"Managed network kind cannot be changed from '{current}' back to '{wanted}'."


def provision_trigger(props: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """A workspace's properties once ``provisionNetworkNow`` did what it does.

    2025-09-01: it triggers "the provisioning of the managed VNet ... when creating a Workspace
    with the managed VNet enabled, or else it does nothing". Azure answers it ``false`` after
    (a workspace read back shows ``provisionNetworkNow: false``): a trigger, not a setting. A
    network provisioned before stays so whatever an update sends (``status`` is read-only).
    """
    out = dict(props)
    network = out.get("managedNetwork")
    before = (previous or {}).get("managedNetwork")
    if isinstance(network, dict) and isinstance(before, dict) and "status" in before:
        out["managedNetwork"] = network = {**network, "status": before["status"]}
    if "provisionNetworkNow" not in out:
        return out
    wanted = out["provisionNetworkNow"] is True
    out["provisionNetworkNow"] = False
    mode = str(network.get("isolationMode", "Disabled")) if isinstance(network, dict) else ""
    if previous is None and wanted and isinstance(network, dict) and mode.lower() in _MODES[1:]:
        out["managedNetwork"] = {**network, "status": {"status": "Active", "sparkReady": False}}
    return out


def _settings(workspace: dict[str, Any]) -> dict[str, Any]:
    network = (workspace.get("properties") or {}).get("managedNetwork")
    return network if isinstance(network, dict) else {}


def status(workspace: dict[str, Any]) -> str:
    """``Active`` once the managed network was provisioned, ``Inactive`` before."""
    provisioned = _settings(workspace).get("status")
    return (
        "Active"
        if isinstance(provisioned, dict) and provisioned.get("status") == "Active"
        else "Inactive"
    )


def required_rules(workspace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The rules Azure adds for the workspace's isolation mode, by name."""
    if str(_settings(workspace).get("isolationMode", "")).lower() != APPROVED_ONLY.lower():
        return {}
    props = workspace.get("properties") or {}
    rules: dict[str, dict[str, Any]] = {}
    for tag, protocol, ports in _SERVICE_TAGS:
        tag = tag.format(region=workspace.get("location", ""))
        name = f"__SYS_ST_{tag}" if protocol == "*" else f"__SYS_ST_{tag}_{protocol}"
        rules[name] = _rule(
            "ServiceTag",
            {
                "serviceTag": tag,
                "protocol": protocol,
                "portRanges": ports,
                "action": "Allow",
                "addressPrefixes": [],
            },
        )
    suffix = hashlib.sha256(str(props.get("workspaceId", "")).encode()).hexdigest()[:8]
    targets = [(workspace["id"], "amlworkspace")]
    for prop, subresources in _ENDPOINTS.items():
        if isinstance(props.get(prop), str):
            targets += [(props[prop], sub) for sub in subresources]
    for resource_id, sub in targets:
        resource = resource_id.rstrip("/").rsplit("/", 1)[-1]
        destination = {
            "serviceResourceId": resource_id,
            "subresourceTarget": sub,
            "sparkEnabled": True,
            "sparkStatus": "Inactive",
        }
        rules[f"__SYS_PE_{resource}_{sub}_{suffix}"] = _rule("PrivateEndpoint", destination)
    return rules


def _rule(kind: str, destination: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "category": "Required", "destination": destination}


def user_rules(workspace: dict[str, Any]) -> dict[str, Any]:
    """The rules written to the workspace (its PUT's ``outboundRules`` and the rule PUTs)."""
    rules = _settings(workspace).get("outboundRules")
    return rules if isinstance(rules, dict) else {}


def all_rules(workspace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every rule of the managed network as Azure shows it, with its current status."""
    now = status(workspace)
    merged = {**required_rules(workspace), **user_rules(workspace)}
    return {
        name: {**rule, "status": now, "errorInformation": None} for name, rule in merged.items()
    }


def with_rules(view: dict[str, Any]) -> dict[str, Any]:
    """A workspace view whose managed network lists every rule, Azure's own included."""
    network = _settings(view)
    if not network:
        return view
    rules = all_rules(view)
    props = {**view["properties"], "managedNetwork": {**network, "outboundRules": rules}}
    return {**view, "properties": props}
