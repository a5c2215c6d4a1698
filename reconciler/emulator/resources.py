"""Microsoft.Resources resource groups, as ARM serves them to SDK scripts and users:
``PUT``, ``GET``, ``HEAD`` and ``DELETE /subscriptions/{s}/resourcegroups/{rg}``.

A resource group keeps the casing it was created with; deleting it deletes the workspaces and
connections in it (ARM deletes a group's resources with it).
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.emulator.state import State
from reconciler.emulator.wire import Request, Response, arm_error

# Microsoft.Resources api-versions are dated like every ARM api-version.
API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
_NAME = re.compile(r"^[-\w._()]{1,90}$")


def _view(sub: str, name: str, record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/{name}",
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": record.get("location", "eastus"),
        "tags": record.get("tags") or {},
        "properties": {"provisioningState": "Succeeded"},
    }


class ResourceGroups:
    def __init__(self, state: State) -> None:
        self.state = state

    def _missing(self, name: str) -> Response:
        return arm_error(
            404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found."
        )

    def get(self, request: Request, sub: str, rg: str) -> Response:
        key = State.rg_key(sub, rg)
        if key not in self.state.resource_groups:
            return self._missing(rg)
        name = self.state.resource_groups[key]
        return Response(200, _view(sub, name, self.state.rg_details.get(key, {})))

    def head(self, request: Request, sub: str, rg: str) -> Response:
        found = State.rg_key(sub, rg) in self.state.resource_groups
        return Response(204 if found else 404)

    def put(self, request: Request, sub: str, rg: str) -> Response:
        if not _NAME.match(rg) or rg.endswith("."):
            return arm_error(
                400, "InvalidResourceGroupName", f"The resource group name '{rg}' is invalid."
            )
        try:
            body = request.json()
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("location"), str):
            return arm_error(
                400,
                "LocationRequired",
                "The location property is required for this definition.",
                target="location",
            )
        tags = body.get("tags") or {}
        if not isinstance(tags, dict):
            return arm_error(400, "InvalidRequestContent", "tags must be an object.")
        key = State.rg_key(sub, rg)
        created = key not in self.state.resource_groups
        if created:
            self.state.add_resource_group(sub, rg)
        location = "".join(body["location"].split()).lower()
        self.state.rg_details[key] = {"location": location, "tags": tags}
        name = self.state.resource_groups[key]
        return Response(201 if created else 200, _view(sub, name, self.state.rg_details[key]))

    def delete(self, request: Request, sub: str, rg: str) -> Response:
        key = State.rg_key(sub, rg)
        if key not in self.state.resource_groups:
            return self._missing(rg)
        self.state.remove_resource_group(key)
        return Response(200)
