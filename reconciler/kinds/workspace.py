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
from reconciler.kinds.base import ANY, Body, Exported, ResourceKind, SoftDelete
from reconciler.manifest.model import Kind

KIND = Kind("Workspace")
API_VERSION = "2023-04-01"

# Azure keeps a deleted workspace 14 days by default (1 to 14, a property of the workspace),
# its name taken; DELETE with forceToPurge=true deletes it for good ("Workspace soft
# deletion", Azure Machine Learning documentation). A create of a name a soft-deleted
# workspace holds is refused with 400 BadRequest "Soft-deleted workspace exists. Please purge
# or recover it. https://aka.ms/wsoftdelete" (quoted in Azure/ResourceModules#3596 and
# Azure/CanadaPubSecALZ#380, synchronously or as the deployment's failed operation).
SOFT_DELETE = SoftDelete(
    retention_days=14,
    purge_params={"forceToPurge": "true"},
    refusal="Soft-deleted workspace exists",
    remedies=(
        "purge it (Azure portal: Azure Machine Learning > Recently deleted > permanently "
        "delete), or recover it there, or wait until its retention ends (up to 14 days after "
        "it was deleted), or choose another name. Next time, delete with `reconciler destroy "
        "--include-workspaces --purge` (or `az ml workspace delete --permanently-delete`) to "
        "free the name at once"
    ),
)


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
    soft_delete=SOFT_DELETE,
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
