"""What a resource kind declares: data, plus a few small hooks where data is not enough.

Reading, planning, applying, rendering and exporting are loops over the registry
(:data:`reconciler.kinds.KINDS`); whatever is particular to one kind of ARM resource — where it
lives, which api-version and schema it speaks, what the service does by itself, how apply
marks it, how it is exported — is declared once, in its module, as a :class:`ResourceKind`.
Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from reconciler.kinds import paths
from reconciler.manifest.load import CrossCheck
from reconciler.manifest.model import Address, Kind
from reconciler.schemas import load_schema
from reconciler.schemas.node import Node

Body = dict[str, Any]
# A server default the service derives itself (a workspace's discoveryUrl, from its region).
ANY: Any = object()
# An exported manifest document (a ruamel CommentedMap) and the variables it asks for.
Exported = tuple[Any, list[tuple[str, str]]]
# (the kind at the api-version exported, the resource's live body, its parent's live body or
# None, the names of its stored keys).
ExportHook = Callable[["ResourceKind", Body, Body | None, list[str] | None], Exported]


@dataclass(frozen=True)
class SoftDelete:
    """The service keeps a deleted resource for ``retention_days`` (soft delete), its name
    taken, unless the DELETE carries ``purge_params``; a create of that name is refused then
    with an error whose message contains ``refusal`` (matched case-insensitively)."""

    retention_days: int
    purge_params: Mapping[str, str]
    refusal: str
    # What a user can do about a name a soft-deleted resource holds: one sentence.
    remedies: str

    def refused(self, message: str) -> bool:
        """Whether a service error's message says a soft-deleted resource holds the name."""
        return self.refusal.lower() in message.lower()


@dataclass(frozen=True)
class ResourceKind:
    """One kind of ARM resource the reconciler manages."""

    kind: Kind
    noun: str  # in call labels ("workspace.get") and messages ("its workspace … was not applied")
    collection: str  # its collection's path segment ("workspaces", "connections")
    # The default api-version (a document naming none is written for it) and its schema.
    api_version: str
    schema_file: str
    # The other api-versions a document may be written for, each with its schema
    # (generated per version: reconciler.schemas.versions); :meth:`at` speaks one.
    other_versions: Mapping[str, str] = field(default_factory=dict)
    parent: ResourceKind | None = None  # the resource it lives in; None: a resource group
    # The api-versions of its POST actions where they differ from ``api_version``.
    action_api_versions: Mapping[str, str] = field(default_factory=dict)
    # PUT and DELETE are long-running operations and the resource carries a provisioningState:
    # apply follows them, the plan never calls a resource still being provisioned unchanged.
    long_running: bool = False
    # Carries properties.provisioningState, so waits on many of one collection can share one
    # list per round (apply/listpoll.py); a kind without it would look done once listed.
    polled_by_list: bool = False
    # Beside api-version, on the DELETE of a replacement (and of --prune): frees the name.
    delete_params: Mapping[str, str] = field(default_factory=dict)
    # A deleted resource the service keeps for a while (its name taken); None: gone at once.
    soft_delete: SoftDelete | None = None
    # Values the service fills in when a PUT leaves the field out, by dotted path
    # (ANY: derived by the service). A strict plan does not remove them.
    server_defaults: Mapping[str, Any] = field(default_factory=dict)
    named_defaults: tuple[str, ...] = ()  # fields the service sets to the resource's name
    # Field names real answers carry that no api-version accepts in a PUT body (server-only
    # and undocumented, so the schema cannot mark them read-only).
    server_only: frozenset[str] = frozenset()
    # Fields newer api-versions define, by dotted path, at the value the service assumes when
    # a PUT leaves them out.
    assumed_when_absent: Mapping[str, Any] = field(default_factory=dict)
    # Dotted paths the service keeps whatever a PUT sends (fixed at creation): never a loss
    # that blocks an update, never a removal a strict plan could promise.
    kept_by_service: frozenset[str] = frozenset()
    # Dotted paths another kind manages (a managed network's rules are OutboundRule
    # resources, Azure's own among them): never compared, and every update carries their live
    # value, ``--strict`` included, so writing this resource never drops what lives there.
    managed_elsewhere: frozenset[str] = frozenset()
    # Dotted paths whose strings compare ignoring case (a DNS name: Azure may answer it
    # lowercased, and ``PyPI.org`` is ``pypi.org``).
    case_insensitive: frozenset[str] = frozenset()
    # Dotted paths never compared, declared or not (apply's own marker, a rule's status).
    ignored: frozenset[str] = frozenset()
    # Dotted paths (``*``: any key of a map) of what the service reports about the resource,
    # which moves on its own (a managed network's provisioning status): left out of the
    # fingerprint that makes a saved plan stale, as read-only fields are.
    reported_by_service: frozenset[str] = frozenset()
    # Dotted paths a resource inherits from another one, by the value of its body's ``kind``
    # (a Project's key vault, storage, network … are its hub's): never sent in its PUT, never
    # compared, declared or live.
    inherited: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Dotted paths holding the ARM id of another resource it needs (a Project's hub): apply
    # writes that one first when the same run declares it.
    id_references: tuple[str, ...] = ()
    # Whether others of its kind in its resource group may name this resource by id (a Hub,
    # its projects' ``id_references``), which destroy then lists them to find (undeclared
    # ones included): deleting it would leave them naming what is gone. None: never.
    named_by_others: Callable[[Body], bool] | None = None
    # Its rule across documents, run by the manifest loader (a Project's hub is declared and
    # a Hub); None: none.
    cross_check: CrossCheck | None = None
    # Why the service refuses to update the live body to the declared spec, though no field
    # is create-only (a managed network loosened), or None: such a change is shown as the
    # replacement it needs, never as an update that would fail at apply.
    refused_update: Callable[[Body, Body], str | None] | None = None
    # Writes of this kind in one parent must not overlap (the service rewrites the parent's
    # whole state per write, and concurrent writes lose each other's): apply does them one
    # at a time, beside the other kinds' writes.
    one_write_at_a_time: bool = False
    # Why the service made an undeclared resource itself (it is never drift and never
    # deleted, nor exported), or None for one a user made.
    made_by_service: Callable[[Body], str | None] | None = None
    # Whether a parent's list of this kind is read where none is declared in it (to report
    # what is there undeclared); False keeps plans of parents that declare none as they were.
    listed_where_undeclared: bool = True
    # The POST action that returns the stored secrets (GET never does), and the object of its
    # answer holding the secret fields (manifest.secrets.SECRET_FIELDS); None: no secrets.
    secrets_action: str | None = None
    secrets_at: tuple[str, ...] = ()
    # How apply writes the ownership marker into a body; None: the kind is never marked, so
    # never pruned — unless ``owned_with_parent``.
    mark: Callable[[Body, str], Body] | None = None
    # For a kind that cannot carry the marker: whether its parent's declared spec makes this
    # configuration the owner of the parent's undeclared resources of this kind, which
    # ``--prune`` then deletes (only with an owner set, and where the configuration declares
    # at least one of them in that parent; never what the service made itself).
    owned_with_parent: Callable[[Body], bool] | None = None
    export: ExportHook | None = None
    # For export: whether the names of a resource's stored keys are worth a secrets call.
    wants_key_names: Callable[[Body], bool] | None = None
    key_names: Callable[[Body], list[str] | None] | None = None

    def __str__(self) -> str:
        return self.kind

    @property
    def api_versions(self) -> tuple[str, ...]:
        """Every api-version a document of this kind may be written for, the default first."""
        return (self.api_version, *self.other_versions)

    def at(self, api_version: str) -> ResourceKind:
        """This kind speaking ``api_version`` (empty: the default) in every request, with that
        version's schema. The manifest checked the version exists; a KeyError for one that
        does not."""
        if not api_version or api_version == self.api_version:
            return self
        # ``action_api_versions`` name where the default version lacks an action; a newer
        # version defines them all (2025-09-01: listNotebookAccessToken, listsecrets).
        return replace(
            self,
            api_version=api_version,
            schema_file=self.other_versions[api_version],
            action_api_versions={},
        )

    def destroy_params(self, *, purge: bool) -> dict[str, str]:
        """Beside api-version, on the DELETE of ``destroy``: a soft-deleted kind is purged
        only when asked (``--purge``); any other kind is deleted as a replacement deletes it."""
        if self.soft_delete is None:
            return dict(self.delete_params)
        if purge:
            return {**self.delete_params, **self.soft_delete.purge_params}
        kept = self.soft_delete.purge_params
        return {k: v for k, v in self.delete_params.items() if k not in kept}

    @property
    def top(self) -> bool:
        """It lives directly in a resource group."""
        return self.parent is None

    def call(self, operation: str) -> str:
        """The label the ARM client counts a call by (``workspace.list``)."""
        return f"{self.noun}.{operation}"

    def action_api_version(self, action: str) -> str:
        return self.action_api_versions.get(action, self.api_version)

    def schema(self) -> dict[str, Any]:
        return load_schema(self.schema_file)

    def node(self) -> Node:
        """The root of the kind's schema: one node per schema, which keeps what it resolves."""
        return _root(self.schema_file)

    def inherited_paths(self, *bodies: Any) -> frozenset[str]:
        """The paths ``bodies`` (declared, live) inherit, by the ``kind`` each names."""
        found: frozenset[str] = frozenset()
        for body in bodies:
            value = body.get("kind") if isinstance(body, dict) else None
            if isinstance(value, str):
                for name, paths in self.inherited.items():
                    if name.lower() == value.lower():
                        found |= paths
        return found

    def without_inherited(self, body: Body, *others: Any) -> Body:
        """``body`` without the paths it (or ``others``: the live body) inherits."""
        for path in sorted(self.inherited_paths(body, *others)):
            body = _without(body, path.split("."))
        return body

    def defaults_for(self, name: str) -> dict[str, Any]:
        """The values the service fills in for resource ``name``."""
        return {**self.server_defaults, **dict.fromkeys(self.named_defaults, name)}

    def address(self, subscription: str, group: str, name: str, parent: str = "") -> Address:
        return Address(self.kind, subscription, group, name, parent)

    def parent_address(self, address: Address) -> Address:
        if self.parent is None:
            raise ValueError(f"a {self.noun} lives in a resource group, not in a resource")
        return address.parent(self.parent.kind)

    def path(self, address: Address) -> str:
        """The resource's ARM path, every segment encoded."""
        if self.parent is None:
            where = self.in_group(address.subscription, address.resource_group)
            return f"{where}/{paths.segment(address.name)}"
        return f"{self.under(self.parent_address(address))}/{paths.segment(address.name)}"

    def in_group(self, subscription: str, group: str) -> str:
        """The collection of a top-level kind in one resource group."""
        return f"{paths.provider_in_group(subscription, group)}/{self.collection}"

    def in_subscription(self, subscription: str) -> str:
        """The collection of a top-level kind in a whole subscription."""
        return f"{paths.provider_in_subscription(subscription)}/{self.collection}"

    def under(self, parent: Address) -> str:
        """The collection of a child kind in one parent resource."""
        assert self.parent is not None
        return f"{self.parent.path(parent)}/{self.collection}"

    @property
    def collections(self) -> tuple[str, ...]:
        """The collections from the resource group down to this kind."""
        above = self.parent.collections if self.parent is not None else ()
        return (*above, self.collection)

    def from_id(self, arm_id: str) -> Address:
        """The address named by a resource id a server returned (parsed, never followed)."""
        sub, group, *names = paths.parse_id(arm_id, self.collections, self.noun)
        address = self.address(sub, group, names[-1], names[0] if len(names) > 1 else "")
        self.path(address)  # every decoded part must be a segment (``%2E%2E`` is not)
        return address


def _without(body: Body, path: list[str]) -> Body:
    """A copy of ``body`` without the member at ``path`` (``body`` itself when absent)."""
    head, *rest = path
    if head not in body:
        return body
    if not rest:
        return {k: v for k, v in body.items() if k != head}
    inner = body[head]
    if not isinstance(inner, dict):
        return body
    return {**body, head: _without(inner, rest)}


@cache
def _root(schema_file: str) -> Node:
    schema = load_schema(schema_file)
    return Node(schema, schema)
