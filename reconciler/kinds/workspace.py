"""The Azure ML workspace: a top-level resource of a resource group.

``PUT /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/
workspaces/{name}?api-version=2023-04-01`` (the Workspace manifest schema is the 2023-04-01
body of the seed page). Creating, replacing and deleting one are long-running operations; a
delete is soft (the name stays taken), so a replacement purges. Create-only fields
(``location``, ``keyVault``, ``storageAccount``) are marked in the schema
(``x-reconciler-create-only``); ``location`` may be inherited from a Defaults document.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from reconciler.kinds import document
from reconciler.kinds.base import ANY, Body, Exported, ResourceKind
from reconciler.manifest.model import Kind

KIND = Kind("Workspace")
API_VERSION = "2023-04-01"


def export(body: Body, parent: Body | None, key_names: list[str] | None) -> Exported:
    """A Workspace document: the live body's writable fields the api-version defines."""
    sub, rg = document.scope(body)
    spec = document.clean(body, WORKSPACE.node()) or CommentedMap()
    metadata: list[tuple[str, Any]] = [
        ("name", body["name"]),
        ("subscription", sub),
        ("resourceGroup", rg),
    ]
    return document.document(KIND, metadata, document.order_top(spec)), []


WORKSPACE = ResourceKind(
    kind=KIND,
    noun="workspace",
    collection="workspaces",
    api_version=API_VERSION,
    schema_file="workspace.schema.json",
    # Managed networks, hubs and projects (reconciler.schemas.versions generates its schema).
    other_versions={"2025-09-01": "workspace.2025-09-01.schema.json"},
    # The notebook token (reconciler.notebook) is documented at 2024-04-01 only.
    action_api_versions={"listNotebookAccessToken": "2024-04-01"},
    long_running=True,
    polled_by_list=True,
    # Azure soft-deletes a workspace and keeps its name taken: a replacement must purge.
    delete_params={"forceToPurge": "true"},
    server_defaults={
        "sku": {"name": "Basic", "tier": "Basic"},
        "properties.publicNetworkAccess": "Enabled",
        "properties.discoveryUrl": ANY,
    },
    named_defaults=("properties.friendlyName",),  # a workspace's friendlyName is its name
    server_only=frozenset({"sdkTelemetryAppInsightsKey"}),
    # 2024-04-01 workspaceRP.json: a workspace without ``kind`` is a Default workspace; its
    # kind (Hub, Project, FeatureStore) is fixed at creation, and an update that leaves it out
    # (as every 2023-04-01 body does) neither loses nor changes it.
    assumed_when_absent={"kind": "Default"},
    kept_by_service=frozenset({"kind"}),
    export=export,
)
