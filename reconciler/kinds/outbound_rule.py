"""An outbound rule of a workspace's managed network: a child of a workspace (2025-09-01 only).

``PUT …/workspaces/{ws}/outboundRules/{name}?api-version=2025-09-01``, one of three types
(``FQDN``, ``PrivateEndpoint``, ``ServiceTag``: the schema's branches on ``properties.type``).
A PUT or DELETE is a long-running operation (202 and a ``Location`` to poll). Azure rewrites
the workspace's whole firewall for every rule it writes, and concurrent writes lose each
other's rules: apply writes the rules of one workspace one at a time. Azure adds rules of its
own (category ``Required``, ``Recommended`` or ``Dependency``, for the workspace's key vault,
storage and service tags): they are never drift, never deleted and never exported. A rule's
``status`` (and a private endpoint's ``sparkStatus``) is the service's to report: never compared.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from reconciler.kinds import document
from reconciler.kinds.base import Body, Exported, ResourceKind
from reconciler.kinds.workspace import WORKSPACE
from reconciler.manifest.model import Kind

KIND = Kind("OutboundRule")
API_VERSION = "2025-09-01"
# The categories of the rules Azure creates itself; a user's rule is ``UserDefined``.
SERVICE_CATEGORIES = frozenset({"required", "recommended", "dependency"})
USER_CATEGORY = "userdefined"


def made_by_service(body: Body) -> str | None:
    """Why this rule is not the user's (its category), or None for a user's rule.

    Only ``UserDefined`` says a rule is the user's: a category this tool does not know (a newer
    service's), or none, cannot be told apart from Azure's own, so such a rule is left alone
    like them (never drift, never pruned)."""
    category = (body.get("properties") or {}).get("category")
    if isinstance(category, str) and category.lower() in SERVICE_CATEGORIES:
        return f"created by Azure for the managed network (category {category})"
    if isinstance(category, str) and category.lower() == USER_CATEGORY:
        return None
    if isinstance(category, str):
        return f"not a user's rule (category {category}, not UserDefined): taken as Azure's"
    return "Azure's listing names no category (a user's rule is UserDefined): taken as Azure's"


def owned_with_workspace(workspace_spec: Body) -> bool:
    """A rule cannot carry the ownership marker (no tags, no metadata); the configuration
    owns a workspace's rule set when it declares that workspace's managed network, of which
    the rules are part (``managedNetwork.outboundRules`` in the workspace's own body)."""
    network = (workspace_spec.get("properties") or {}).get("managedNetwork")
    return isinstance(network, dict)


def export(
    kind: ResourceKind, body: Body, parent: Body | None, key_names: list[str] | None
) -> Exported:
    """An OutboundRule document: the rule's writable fields."""
    assert parent is not None
    sub, rg = document.scope(parent)
    props = {k: v for k, v in (body.get("properties") or {}).items() if k != "status"}
    spec = document.clean({"properties": props}, kind.node()) or CommentedMap()
    meta: list[tuple[str, Any]] = [
        ("name", body["name"]),
        ("workspace", parent["name"]),
        ("subscription", sub),
        ("resourceGroup", rg),
    ]
    return document.document(KIND, meta, spec), []


OUTBOUND_RULE = ResourceKind(
    kind=KIND,
    noun="outbound rule",
    collection="outboundRules",
    api_version=API_VERSION,
    schema_file="outbound-rule.schema.json",
    parent=WORKSPACE,
    long_running=True,
    server_defaults={"properties.category": "UserDefined"},
    ignored=frozenset({"properties.status", "properties.destination.sparkStatus"}),
    reported_by_service=frozenset({"properties.status", "properties.destination.sparkStatus"}),
    # An FQDN rule's destination is a host name.
    case_insensitive=frozenset({"properties.destination"}),
    one_write_at_a_time=True,
    made_by_service=made_by_service,
    listed_where_undeclared=False,
    owned_with_parent=owned_with_workspace,
    export=export,
)
