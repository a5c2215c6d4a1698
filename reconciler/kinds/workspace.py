"""The Azure ML workspace: a top-level resource of a resource group.

``PUT /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/
workspaces/{name}?api-version=2023-04-01`` (the Workspace manifest schema is the 2023-04-01
body of the seed page). Creating, replacing and deleting one are long-running operations; a
delete is soft (the name stays taken), so a replacement purges. Create-only fields
(``location``, ``keyVault``, ``storageAccount``) are marked in the schema
(``x-reconciler-create-only``); ``location`` may be inherited from a Defaults document.

At 2025-09-01 a workspace may be a Hub, or a Project of a hub (``properties.hubResourceId``,
filled from ``metadata.hub`` when the hub is declared in the same run: apply writes the hub
first; :mod:`reconciler.kinds.hubs` checks the reference). A Project inherits its hub's
dependent resources, network and encryption (:data:`INHERITED_FROM_HUB`): Azure answers a
project's GET with its hub's values and refuses a project PUT that sends them, so they are
never sent and never compared.
"""

from __future__ import annotations

import functools
from typing import Any

from ruamel.yaml.comments import CommentedMap

from reconciler.kinds import document, hubs
from reconciler.kinds.base import ANY, Body, Exported, ResourceKind, SoftDelete
from reconciler.manifest.model import Kind

KIND = Kind("Workspace")
API_VERSION = "2023-04-01"
# What a Project inherits from its hub, by dotted path. azurerm's azurerm_ai_foundry_project
# (internal/services/machinelearning/ai_foundry_project_resource.go, Update) drops exactly
# these from the body it GETs before PUTting it back, "Projects inherit the KV/Storage/
# AppInsights/CR/Network/Encryption settings from the Hub" and "the API will error when
# trying to send the inherited settings"; Azure refuses a project with a managed network of
# its own ("Project workspace shouldn't define it's own managed network properties",
# Azure-Samples/ai-studio-in-a-box#5); azure-ai-ml's project template
# (_arm_deployments/arm_templates/workspace_project.json) sends none of them. Not
# publicNetworkAccess: that template sends it for a project.
INHERITED_FROM_HUB = frozenset(
    {
        "properties.keyVault",
        "properties.storageAccount",
        "properties.applicationInsights",
        "properties.containerRegistry",
        "properties.managedNetwork",
        "properties.encryption",
    }
)
# A managed network's isolation modes, least restrictive first. Azure refuses an update toward
# less restriction ("once a managed VNet workspace is configured to allow internet outbound,
# the workspace cannot be reconfigured to disabled"; from allow only approved outbound it
# cannot go back to allow internet outbound: Azure ML's managed-network how-to).
ISOLATION_MODES = ("Disabled", "AllowInternetOutbound", "AllowOnlyApprovedOutbound")

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


def _isolation(body: Body) -> str | None:
    """The isolation mode ``body`` names (a live body naming none has no managed network)."""
    network = (body.get("properties") or {}).get("managedNetwork")
    mode = network.get("isolationMode") if isinstance(network, dict) else None
    return mode if isinstance(mode, str) else None


def _rank(mode: str) -> int:
    lowered = [m.lower() for m in ISOLATION_MODES]
    return lowered.index(mode.lower()) if mode.lower() in lowered else -1


def isolation_loosened(live: Body, spec: Body) -> str | None:
    """Why Azure refuses to move the managed network of ``live`` to what ``spec`` declares:
    its isolation mode may only tighten (Disabled < AllowInternetOutbound <
    AllowOnlyApprovedOutbound)."""
    wanted = _isolation(spec)
    current = _isolation(live) or ISOLATION_MODES[0]
    if wanted is None or _rank(wanted) < 0 or _rank(wanted) >= _rank(current):
        return None
    return (
        f"properties.managedNetwork.isolationMode would loosen from {current} to {wanted}, "
        "which Azure refuses (an isolation mode only tightens: Disabled < "
        "AllowInternetOutbound < AllowOnlyApprovedOutbound): replacement required. Revert the "
        "manifest, or delete and recreate the workspace (its data goes with it)"
    )


def _network_kind(body: Body) -> str | None:
    network = (body.get("properties") or {}).get("managedNetwork")
    kind = network.get("managedNetworkKind") if isinstance(network, dict) else None
    return kind if isinstance(kind, str) else None


def network_loosened(live: Body, spec: Body) -> str | None:
    """Why Azure refuses to move the managed network of ``live`` to what ``spec`` declares: its
    isolation mode only tightens (:func:`isolation_loosened`), and its kind goes from V1 to V2
    only ("cannot switch back to V1 once V2 is enabled": 2025-09-01 workspaceRP.json)."""
    wanted, current = _network_kind(spec), _network_kind(live)
    if wanted and current and wanted.lower() == "v1" and current.lower() == "v2":
        return (
            f"properties.managedNetwork.managedNetworkKind would go back from {current} to "
            f"{wanted}, which Azure refuses (V1 may become V2, never back): replacement "
            "required. Revert the manifest, or delete and recreate the workspace (its data "
            "goes with it)"
        )
    return isolation_loosened(live, spec)


def _without_rules(body: Body) -> Body:
    """``body`` without its managed network's rules (each its own OutboundRule document, and
    Azure's own among them), its provisioning status (the service's to report) and
    ``provisionNetworkNow`` (a create's trigger)."""
    props = {k: v for k, v in (body.get("properties") or {}).items() if k != "provisionNetworkNow"}
    network = props.get("managedNetwork")
    if isinstance(network, dict):
        props["managedNetwork"] = {
            k: v for k, v in network.items() if k not in ("outboundRules", "status")
        }
    return {**body, "properties": props}


def export(
    kind: ResourceKind, body: Body, parent: Body | None, key_names: list[str] | None
) -> Exported:
    """A Workspace document: the live body's writable fields the api-version defines (a
    Project's without what it inherits from its hub)."""
    sub, rg = document.scope(body)
    body = kind.without_inherited(body)
    spec = document.clean(_without_rules(body), kind.node()) or CommentedMap()
    # A Default workspace's kind is the one assumed where none is written (a 2023-04-01
    # document writes none): left out, whatever the api-version.
    assumed = str(kind.assumed_when_absent.get("kind", "")).lower()
    if str(spec.get("kind", "")).lower() == assumed:
        del spec["kind"]
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
    # A workspace whose GET shows no managed network has none: its isolation mode is Disabled
    # (2025-09-01 workspaceRP.json, IsolationMode; Azure ML's managed-network how-to).
    assumed_when_absent={"kind": "Default", "properties.managedNetwork.isolationMode": "Disabled"},
    kept_by_service=frozenset({"kind"}),
    inherited={"Project": INHERITED_FROM_HUB},
    id_references=(hubs.HUB_ID,),
    named_by_others=hubs.is_hub,
    cross_check=functools.partial(hubs.resolve, KIND),
    refused_update=network_loosened,
    # 2025-09-01: a trigger of the create ("or else it does nothing"), answered ``false``
    # afterwards: sent as declared, never compared; and the managed network's provisioning
    # status, the service's to report (the definition does not mark it read-only).
    ignored=frozenset({"properties.provisionNetworkNow", "properties.managedNetwork.status"}),
    # The network's status and its rules' (the copy of each rule in the workspace's body).
    reported_by_service=frozenset(
        {
            "properties.managedNetwork.status",
            "properties.managedNetwork.outboundRules.*.status",
            "properties.managedNetwork.outboundRules.*.destination.sparkStatus",
        }
    ),
    # 2025-09-01 answers list the network's rules in the workspace too: they are each their
    # own OutboundRule (reconciler.kinds.outbound_rule), and Azure's are never the user's.
    managed_elsewhere=frozenset({"properties.managedNetwork.outboundRules"}),
    export=export,
)
