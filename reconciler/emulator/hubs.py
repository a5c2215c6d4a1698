"""Hub workspaces and their projects, as Azure serves them.

A workspace of kind ``Project`` belongs to the hub its ``properties.hubResourceId`` names and
inherits the hub's dependent resources, managed network and encryption: Azure answers a
project's GET with the hub's values of those fields, and refuses a project PUT that sends any
of them (azurerm's ``azurerm_ai_foundry_project`` strips exactly these before an update,
because "the API will error when trying to send the inherited settings"; the one message on
public record is the managed network's, "Project workspace shouldn't define it's own managed
network properties", Azure-Samples/ai-studio-in-a-box#5). So a project needs no key vault or
storage account of its own; it needs a hub that exists. The provider's words for a missing
hub are not on public record: the answer has the provider's ``ValidationError`` shape, as its
"Missing dependent resources" does.

Pure functions over the state; the handlers (:mod:`.workspaces`, :mod:`.base`) call them.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.emulator.state import State, WorkspaceRecord
from reconciler.emulator.wire import Response, arm_error

PROJECT = "project"
HUB = "hub"
# What a project inherits from its hub (properties), in the order Azure's docs list them.
INHERITED = (
    "keyVault",
    "storageAccount",
    "applicationInsights",
    "containerRegistry",
    "managedNetwork",
    "encryption",
)
_WORDS = {"managedNetwork": "managed network properties"}
_WORKSPACE_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/(?P<name>[^/]+)/?$",
    re.IGNORECASE,
)


def is_project(kind: Any) -> bool:
    return isinstance(kind, str) and kind.lower() == PROJECT


def _kind_of(record: WorkspaceRecord) -> str:
    return str(record.body.get("kind") or "Default")


def hub_of(state: State, hub_id: Any) -> WorkspaceRecord | None:
    """The hub a project's ``hubResourceId`` names, if it exists and is a Hub."""
    match = _WORKSPACE_ID.match(hub_id) if isinstance(hub_id, str) else None
    if match is None:
        return None
    record = state.workspaces.get(State.ws_key(match["sub"], match["rg"], match["name"]))
    if record is None or record.deleted or _kind_of(record).lower() != HUB:
        return None
    return record


def project_problem(body: dict[str, Any], state: State, *, check_hub: bool) -> Response | None:
    """Why Azure refuses this project PUT: a field it inherits from its hub, or (with
    ``check_hub``) a hub that does not exist."""
    props = body.get("properties") or {}
    for prop in INHERITED:
        if props.get(prop) is not None:
            words = _WORDS.get(prop, prop)
            return arm_error(
                400,
                "ValidationError",
                f"Project workspace shouldn't define it's own {words}.",
                target=f"properties.{prop}",
            )
    hub_id = props.get("hubResourceId")
    if check_hub and hub_of(state, hub_id) is None:
        return arm_error(
            400,
            "ValidationError",
            f"Hub workspace '{hub_id}' of this project was not found: hubResourceId must be "
            "the ARM id of an existing workspace of kind Hub.",
            target="properties.hubResourceId",
        )
    return None


def inherit(view: dict[str, Any], hub: dict[str, Any]) -> dict[str, Any]:
    """A project's view with what it inherits from its hub (the hub's view)."""
    props = {k: v for k, v in view["properties"].items() if k not in INHERITED}
    hub_props = hub.get("properties") or {}
    props.update({k: hub_props[k] for k in INHERITED if hub_props.get(k) is not None})
    return {**view, "properties": props}
