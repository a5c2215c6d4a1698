"""A Project workspace's hub, named by manifest reference or by ARM id: the workspace kind's
cross-document rule (``ResourceKind.cross_check``, run by the manifest loader).

A workspace of ``kind: Project`` belongs to a hub. A manifest names it either
as ``metadata.hub: NAME``, a workspace of ``kind: Hub`` declared in these manifests in the
project's subscription and resource group (the planner fills ``properties.hubResourceId`` with
its ARM id, and apply writes the hub first), or as an existing hub's ARM id in
``spec.properties.hubResourceId``. What cannot be right is a problem of the manifest, found
here with its file and line, before anything calls Azure: a project naming no hub, both
forms at once, a reference to no declared workspace or to one that is not a Hub,
``metadata.hub`` on a workspace that is not a Project, and a
``hubResourceId`` that is not a workspace's ARM id (Azure would refuse it only after approval).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from reconciler.manifest.load import Report
from reconciler.manifest.model import Address, Kind, ResourceManifest
from reconciler.manifest.yamlsource import JsonPath, SourceDocument

PROJECT = "Project"
HUB = "Hub"
HUB_ID = "properties.hubResourceId"
HUB_FIELD: JsonPath = ("metadata", "hub")
HUB_ID_FIELD: JsonPath = ("spec", "properties", "hubResourceId")
# A workspace's ARM id (compared case-insensitively, as ARM does): a subscription GUID, a
# resource group name (ARM's characters, not ending in a period: never ``..``) and a
# workspace name.
_WORKSPACE_ID = re.compile(
    r"/subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"/resourceGroups/[-\w.()]{0,89}[-\w()]"
    r"/providers/Microsoft\.MachineLearningServices/workspaces/[a-z0-9][a-z0-9_-]{2,32}",
    re.IGNORECASE,
)


def is_hub(body: dict[str, Any]) -> bool:
    """A live workspace that is a hub (ARM answers vary in case): its projects name it."""
    value = body.get("kind")
    return isinstance(value, str) and value.lower() == HUB.lower()


def _kind(spec: dict[str, Any]) -> str:
    value = spec.get("kind")
    return value if isinstance(value, str) else "Default"


def _hub_id(spec: dict[str, Any]) -> Any:
    props = spec.get("properties")
    return props.get("hubResourceId") if isinstance(props, dict) else None


def resolve(
    kind: Kind,
    top: list[tuple[ResourceManifest, SourceDocument]],
    left_out: set[str],
    report: Report,
) -> list[tuple[ResourceManifest, SourceDocument]]:
    """The resource group's resources, each Project (a workspace, ``kind``) with its
    ``metadata.hub`` recorded as a reference (``refs``) to the declared hub; every problem
    reported (the load then fails). ``left_out``: the names (lower-cased) of resources whose
    documents were left out for a problem of their own, already reported: a hub among them is
    not reported missing."""
    declared = {w.address.key: (w, doc) for w, doc in top if w.address.kind == kind}
    resolved = []
    for workspace, doc in top:
        if workspace.address.kind != kind:
            resolved.append((workspace, doc))
            continue
        problem, hub = _check(workspace, doc, declared, left_out)
        if problem is not None:
            report(doc, *problem)
        elif hub is not None:
            workspace = replace(workspace, refs=((HUB_ID, hub),))
        resolved.append((workspace, doc))
    return resolved


def _check(
    workspace: ResourceManifest,
    doc: SourceDocument,
    declared: dict[tuple[str, ...], tuple[ResourceManifest, SourceDocument]],
    left_out: set[str],
) -> tuple[tuple[JsonPath, str] | None, Address | None]:
    """(the problem as (field, message), or None; the hub's address when named by reference)."""
    name = doc.data["metadata"].get("hub")
    kind = _kind(workspace.spec)
    if kind != PROJECT:
        if name is None:
            return None, None
        message = f"only a workspace of kind {PROJECT} names a hub (this one is {kind})"
        return (HUB_FIELD, message), None
    if name is None:
        hub_id = _hub_id(workspace.spec)
        if hub_id is None:
            message = (
                f"a {PROJECT} needs its hub: set metadata.hub to a workspace of kind {HUB} "
                f"declared in these manifests, or spec.{HUB_ID} to an existing hub's ARM id"
            )
            return (("spec", "kind"), message), None
        if not isinstance(hub_id, str) or _WORKSPACE_ID.fullmatch(hub_id) is None:
            message = (
                f"{hub_id!r} is not the ARM id of a workspace (/subscriptions/{{id}}/"
                "resourceGroups/{group}/providers/Microsoft.MachineLearningServices/"
                "workspaces/{hub})"
            )
            return (HUB_ID_FIELD, message), None
        return None, None
    if _hub_id(workspace.spec) is not None:
        message = f"names the hub twice: give metadata.hub or spec.{HUB_ID}, not both"
        return (HUB_FIELD, message), None
    here = workspace.address
    hub = Address(here.kind, here.subscription, here.resource_group, str(name))
    found = declared.get(hub.key)
    if found is None and hub.name.lower() in left_out:
        return None, None  # its own problem is reported; the project waits for the fix
    if found is None:
        message = (
            f"workspace {hub.name!r} in resource group {hub.resource_group!r} (subscription "
            f"{hub.subscription}) is not declared in these manifests: declare it with kind "
            f"{HUB}, or give an existing hub's ARM id in spec.{HUB_ID}"
        )
        return (HUB_FIELD, message), None
    other, other_doc = found
    if _kind(other.spec) != HUB:
        message = (
            f"workspace {hub.name!r} (declared at {other_doc.file}:{other_doc.start.line}) is "
            f"of kind {_kind(other.spec)}, not {HUB}"
        )
        return (HUB_FIELD, message), None
    return None, other.address
