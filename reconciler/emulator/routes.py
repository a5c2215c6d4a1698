"""Which handler serves which ARM request: one declarative table.

Each route names its HTTP method, its path (path parameters are the regular expression's
groups, passed to the handler in order), the name it is counted under in the stats, and the
handler as an attribute path on the emulator (``arm.get_workspace`` ...). ``OPERATIONS`` names
the API definition's operation behind a route: an api-version without it does not serve it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from reconciler.emulator.base import PROVIDER
from reconciler.emulator.wire import Response

Handler = Callable[..., Response]

_SEG = r"([^/]+)"
_RG = rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}"
_WS = rf"{_RG}/providers/{PROVIDER}/workspaces/{_SEG}"
_OPERATIONS = rf"/subscriptions/{_SEG}/providers/{PROVIDER}/locations/{_SEG}"

# (method, path, route name, handler); the first route whose path and method match serves.
TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("GET", _RG, "resourceGroup.get", "resource_groups.get"),
    ("HEAD", _RG, "resourceGroup.head", "resource_groups.head"),
    ("PUT", _RG, "resourceGroup.put", "resource_groups.put"),
    ("DELETE", _RG, "resourceGroup.delete", "resource_groups.delete"),
    ("GET", _WS, "workspace.get", "arm.get_workspace"),
    ("PUT", _WS, "workspace.put", "arm.put_workspace"),
    ("PATCH", _WS, "workspace.patch", "arm.patch_workspace"),
    ("DELETE", _WS, "workspace.delete", "arm.delete_workspace"),
    ("GET", rf"{_RG}/providers/{PROVIDER}/workspaces", "workspace.list", "arm.list_workspaces"),
    (
        "GET",
        rf"/subscriptions/{_SEG}/providers/{PROVIDER}/workspaces",
        "workspace.listBySubscription",
        "arm.list_by_subscription",
    ),
    (
        "POST",
        rf"{_WS}/listNotebookAccessToken",
        "workspace.listNotebookAccessToken",
        "arm.notebook_token",
    ),
    (
        "POST",
        rf"{_WS}/provisionManagedNetwork",
        "workspace.provisionManagedNetwork",
        "arm.provision_network",
    ),
    ("GET", rf"{_WS}/connections/{_SEG}", "connection.get", "arm.get_connection"),
    ("PUT", rf"{_WS}/connections/{_SEG}", "connection.put", "arm.put_connection"),
    ("PATCH", rf"{_WS}/connections/{_SEG}", "connection.patch", "arm.patch_connection"),
    ("DELETE", rf"{_WS}/connections/{_SEG}", "connection.delete", "arm.delete_connection"),
    ("GET", rf"{_WS}/connections", "connection.list", "arm.list_connections"),
    (
        "POST",
        rf"{_WS}/connections/{_SEG}/listsecrets",
        "connection.listsecrets",
        "arm.list_secrets",
    ),
    ("GET", rf"{_WS}/outboundRules/{_SEG}", "outboundRule.get", "arm.get_rule"),
    ("PUT", rf"{_WS}/outboundRules/{_SEG}", "outboundRule.put", "arm.put_rule"),
    ("DELETE", rf"{_WS}/outboundRules/{_SEG}", "outboundRule.delete", "arm.delete_rule"),
    ("GET", rf"{_WS}/outboundRules", "outboundRule.list", "arm.list_rules"),
    (
        "GET",
        rf"{_OPERATIONS}/mlworkspaceOperationsStatus/{_SEG}",
        "operation.asyncStatus",
        "arm.async_status",
    ),
    (
        "GET",
        rf"{_OPERATIONS}/workspaceOperationsStatus/{_SEG}",
        "operation.location",
        "arm.location_status",
    ),
)
OPERATIONS = {
    "workspace.get": "Workspaces_Get",
    "workspace.put": "Workspaces_CreateOrUpdate",
    "workspace.patch": "Workspaces_Update",
    "workspace.delete": "Workspaces_Delete",
    "workspace.list": "Workspaces_ListByResourceGroup",
    "workspace.listBySubscription": "Workspaces_ListBySubscription",
    "workspace.listNotebookAccessToken": "Workspaces_ListNotebookAccessToken",
    "connection.get": "WorkspaceConnections_Get",
    "connection.put": "WorkspaceConnections_Create",
    "connection.patch": "WorkspaceConnections_Update",
    "connection.delete": "WorkspaceConnections_Delete",
    "connection.list": "WorkspaceConnections_List",
    "connection.listsecrets": "WorkspaceConnections_ListSecrets",
    "outboundRule.get": "ManagedNetworkSettingsRule_Get",
    "outboundRule.put": "ManagedNetworkSettingsRule_CreateOrUpdate",
    "outboundRule.delete": "ManagedNetworkSettingsRule_Delete",
    "outboundRule.list": "ManagedNetworkSettingsRule_List",
    "workspace.provisionManagedNetwork": "ManagedNetworkProvisions_ProvisionManagedNetwork",
}


@dataclass(frozen=True)
class Route:
    method: str
    path: re.Pattern[str]
    name: str
    handler: Handler


@dataclass(frozen=True)
class Match:
    """The route that serves a request (None: none does) and its path parameters; ``allowed``
    holds the methods other routes of the same path take, for a 405."""

    route: Route | None
    params: tuple[str, ...]
    allowed: frozenset[str]


class Router:
    """The table, its handlers resolved on ``owner``."""

    def __init__(self, owner: Any) -> None:
        self.routes = [
            Route(method, re.compile(f"^{path}$", re.IGNORECASE), name, attrgetter(handler)(owner))
            for method, path, name, handler in TABLE
        ]

    def match(self, method: str, path: str) -> Match:
        allowed: set[str] = set()
        for route in self.routes:
            found = route.path.match(path)
            if found is None:
                continue
            if route.method == method:
                return Match(route, found.groups(), frozenset(allowed))
            allowed.add(route.method)
        return Match(None, (), frozenset(allowed))
