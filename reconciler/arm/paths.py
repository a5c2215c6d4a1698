"""Resource paths and the api-versions the reconciler speaks, in one place."""

from __future__ import annotations

from reconciler.manifest.model import Address

PROVIDER = "Microsoft.MachineLearningServices"
# The Workspace manifest schema is the 2023-04-01 body (the seed page); connections and the
# notebook token are documented at 2024-04-01.
WORKSPACE_API = "2023-04-01"
CONNECTION_API = "2024-04-01"


def resource_group(subscription: str, group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}"


def workspaces(subscription: str, group: str) -> str:
    return f"{resource_group(subscription, group)}/providers/{PROVIDER}/workspaces"


def workspace(address: Address) -> str:
    name = address.workspace if address.workspace else address.name
    return f"{workspaces(address.subscription, address.resource_group)}/{name}"


def connections(workspace_address: Address) -> str:
    return f"{workspace(workspace_address)}/connections"


def connection(address: Address) -> str:
    return f"{workspace(address.workspace_address)}/connections/{address.name}"
