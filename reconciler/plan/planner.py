"""Decide, without I/O, what applying the manifests to the live state would change.

``plan(manifests, live, secret_values=...)`` is a pure function: the reader fetched the live
state, the CLI resolved secret values (only to compare them; they never enter the plan), and
the result is a :class:`Plan` value that every renderer and the applier consume.

A declared resource's decision (:func:`decide`) depends on its spec, its live body, group and
credentials, and its parent's decision, never on another resource: workspaces are decided
while others are still read (:mod:`reconciler.plan.deciding`; :func:`plan`'s ``decided``).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from reconciler import kinds
from reconciler.kinds import ResourceKind
from reconciler.manifest import secrets
from reconciler.manifest.model import Address, ManifestSet, ResourceManifest
from reconciler.plan import ownership, replacing
from reconciler.plan.compare import Node, create_only_paths, diff
from reconciler.plan.model import Action, Change, FieldDiff, Plan, ReasonCode
from reconciler.plan.ownership import OWNER_KEY
from reconciler.plan.record import fingerprint, manifest_digest, redact, strip_credentials
from reconciler.plan.targeting import selected, targeted_note
from reconciler.plan.writeback import (
    credentials_missing,
    credentials_reason,
    uncarried,
    uncarried_reason,
)
from reconciler.read.livestate import Key, LiveState

SENSITIVE_CHANGED = "(sensitive value changed)"
SENSITIVE = "(sensitive)"

SecretKey = tuple[tuple[str, ...], str]  # (resource address key, dotted path in spec)

IN_PROGRESS_NOTE = "apply waits for it to end before changing it or its connections"
ENDED_BADLY = ("failed", "canceled")  # provisioning states (any case) that apply PUTs again


def provisioning_state(body: Any) -> str | None:
    props = body.get("properties") if isinstance(body, dict) else None
    state = props.get("provisioningState") if isinstance(props, dict) else None
    return str(state) if state else None


def in_progress(state: str | None) -> bool:
    """An operation is running: any state but the terminal ones (absent means done)."""
    return state is not None and state.lower() not in ("succeeded", "failed", "canceled")


def update_warnings(body: Any, node: Node, options: Options, api_version: str) -> list[str]:
    """Why a non-strict update of ``body`` cannot be applied without losing live fields."""
    if options.strict:
        return []  # a strict plan lists them as removals instead
    fields = uncarried(body, node)
    return [uncarried_reason(fields, api_version)] if fields else []


@dataclass(frozen=True)
class Options:
    strict: bool = False
    compare_secrets: bool = True
    prune: bool = False  # delete undeclared connections this tool created


def _replace_reason(paths: list[str], noun: str) -> str:
    fields = ", ".join(paths)
    return (
        f"{fields} {'is' if len(paths) == 1 else 'are'} create-only: replacement required. "
        f"ARM rejects this change as an update; revert the manifest, or delete and recreate "
        f"the {noun} (its data goes with it)"
    )


def _describe(diffs: list[FieldDiff]) -> str:
    names = [d.path for d in diffs]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{shown} differ{'s' if len(names) == 1 else ''}"


class Verdict(NamedTuple):
    """What to do with one resource, and why: the code for machines, the sentence for people."""

    action: Action
    code: ReasonCode
    reason: str


NOT_FOUND = Verdict(Action.CREATE, ReasonCode.NOT_FOUND, "not found in Azure")
MATCHES = Verdict(Action.NO_OP, ReasonCode.MATCHES_MANIFEST, "matches the manifest")


def _absent(
    verdict: Verdict, *, address: Address, workspace: str, after: Any, warnings: Sequence[str] = ()
) -> Change:
    """The change for a resource not in Azure: there is no live state to keep."""
    return Change(
        address=str(address),
        kind=address.kind,
        action=verdict.action,
        code=verdict.code,
        reason=verdict.reason,
        workspace=workspace,
        after=after,
        warnings=tuple(warnings),
    )


def _compared(
    verdict: Verdict,
    *,
    kind: ResourceKind,
    address: Address,
    workspace: str,
    body: Any,
    after: Any,
    diffs: list[FieldDiff],
    warnings: list[str],
) -> Change:
    """The change for a resource found in Azure: carries the live state it was computed
    against (redacted) and its fingerprint (at ``kind``'s api-version), so apply can notice it
    moved."""
    return Change(
        address=str(address),
        kind=address.kind,
        action=verdict.action,
        code=verdict.code,
        reason=verdict.reason,
        workspace=workspace,
        diffs=tuple(diffs),
        before=strip_credentials(body),
        after=after,
        fingerprint=fingerprint(body, kind),
        warnings=tuple(warnings),
    )


def _resource_group_warnings(address: Address, live: LiveState) -> list[str]:
    if (address.subscription, address.resource_group) not in live.missing_resource_groups:
        return []
    return [f"resource group {address.resource_group!r} does not exist; create it before applying"]


@dataclass(frozen=True)
class Context:
    """What every resource's decision shares: the options, the secret values to compare,
    this configuration's owner, and the actions decided for the parents so far."""

    options: Options
    secret_values: Mapping[SecretKey, str]
    owner: str
    actions: dict[tuple[str, ...], Action]


def _field_diffs(
    kind: ResourceKind, m: ResourceManifest, body: Any, node: Node, options: Options
) -> list[FieldDiff]:
    """The field diffs, create-only ones flagged; what the resource inherits (a Project's
    key vault, network … are its hub's) is never compared, declared or live."""
    defaults = kind.defaults_for(m.address.name)
    ignore = kind.ignored | kind.managed_elsewhere | kind.inherited_paths(m.spec, body)
    found = list(diff(m.spec, body, node, strict=options.strict, ignore=ignore, defaults=defaults))
    if not found:
        return found  # most resources, most days: nothing to flag
    create_only = create_only_paths(node, m.spec)
    return [replace(d, create_only=d.path in create_only) for d in found]


def _secret_diffs(
    kind: ResourceKind, m: ResourceManifest, live: LiveState, values: Mapping[SecretKey, str]
) -> tuple[list[FieldDiff], bool]:
    """Changed secrets (as markers only), and whether the comparison could be made."""
    refs = list(secrets.find_refs(m.spec))
    if not refs:
        return [], True
    if m.address.key not in live.credentials:
        return [], False
    stored: Any = live.credentials[m.address.key] or {}
    for key in reversed(kind.secrets_at):
        stored = {key: stored}
    diffs = []
    for path, _ in refs:
        dotted = ".".join(str(p) for p in path)
        wanted = values.get((m.address.key, dotted))
        if wanted is None:
            return [], False
        current = stored
        for part in path:
            current = current.get(part) if isinstance(current, dict) else None
        same = isinstance(current, str) and hmac.compare_digest(current.encode(), wanted.encode())
        if not same:
            diffs.append(FieldDiff(dotted, SENSITIVE, SENSITIVE_CHANGED, sensitive=True))
    return diffs, True


def _verdict(
    kind: ResourceKind, diffs: list[FieldDiff], state: str | None, refused: str | None = None
) -> Verdict:
    blocked = [d.path for d in diffs if d.create_only]
    if blocked:
        reason = _replace_reason(blocked, kind.noun)
        return Verdict(Action.REPLACE_REQUIRED, ReasonCode.CREATE_ONLY, reason)
    if diffs and refused:
        return Verdict(Action.REPLACE_REQUIRED, ReasonCode.REFUSED_BY_SERVICE, refused)
    if diffs and all(d.sensitive for d in diffs):
        return Verdict(Action.UPDATE, ReasonCode.SECRET_ROTATED, SENSITIVE_CHANGED)
    if diffs:
        return Verdict(Action.UPDATE, ReasonCode.FIELDS_DIFFER, _describe(diffs))
    if in_progress(state):
        # Never "unchanged" while it is still being provisioned: it may yet end Failed.
        reason = (
            f"provisioning in progress (provisioningState {state}); {IN_PROGRESS_NOTE}, "
            "and fails if it ends otherwise than Succeeded"
        )
        return Verdict(Action.UPDATE, ReasonCode.IN_PROGRESS, reason)
    if state is not None and state.lower() in ENDED_BADLY:
        reason = f"last provisioning ended {state}; applying again"
        return Verdict(Action.UPDATE, ReasonCode.LAST_FAILED, reason)
    return MATCHES


def _update_warnings(
    kind: ResourceKind,
    m: ResourceManifest,
    verdict: Verdict,
    body: Any,
    *,
    state: str | None,
    ctx: Context,
) -> list[str]:
    """What an update must warn about: what it would lose or take over (a replacement warns
    of nothing)."""
    if verdict.action is not Action.UPDATE:
        return []
    node = kind.node()
    warnings: list[str] = []
    differs = verdict.code in (ReasonCode.FIELDS_DIFFER, ReasonCode.SECRET_ROTATED)
    if in_progress(state) and differs:
        warnings.append(
            f"an operation is in progress (provisioningState {state}); {IN_PROGRESS_NOTE}"
        )
    if differs or (state is not None and state.lower() in ENDED_BADLY):
        warnings += update_warnings(body, node, ctx.options, kind.api_version)
    if differs and kind.secrets_action is not None and credentials_missing(m.spec, node):
        warnings.append(credentials_reason(m.address.name))
    foreign = ownership.foreign_marker(body, ctx.owner) if kind.mark is not None else None
    if differs and foreign:
        warnings.append(ownership.foreign_reason(foreign, ctx.owner))
    return warnings


def _parent_created(kind: ResourceKind, address: Address, ctx: Context) -> Verdict | None:
    """A resource whose parent is being created is created with it."""
    if (
        kind.parent is None
        or ctx.actions.get(kind.parent_address(address).key) is not Action.CREATE
    ):
        return None
    reason = f"its {kind.parent.noun} is being created"
    return Verdict(Action.CREATE, ReasonCode.PARENT_CREATED, reason)


def _at_version(kind: ResourceKind, m: ResourceManifest, live: LiveState, ctx: Context) -> Change:
    """The change for one declared resource, compared at the api-version its document is
    written for; one written for another than its kind's default records it."""
    versioned = kind.at(m.api_version)
    change = _change(versioned, m, live, ctx)
    if versioned is kind:
        return change
    return replace(change, api_version=versioned.api_version)


def _change(kind: ResourceKind, m: ResourceManifest, live: LiveState, ctx: Context) -> Change:
    """What to do with one declared resource, of any kind."""
    address = m.address
    body = strip_credentials(live.get(address))  # compared, shown: never a secret it answered
    after = redact(kind.without_inherited(m.spec, body))  # what a create sends
    parent = str(address) if kind.parent is None else str(kind.parent_address(address))
    warnings = _resource_group_warnings(address, live) if kind.top else []
    created = _parent_created(kind, address, ctx)
    if created is not None or body is None:
        verdict = created or NOT_FOUND
        return _absent(verdict, address=address, workspace=parent, after=after, warnings=warnings)
    diffs = _field_diffs(kind, m, body, kind.node(), ctx.options)
    if kind.secrets_action is not None:
        secret_diffs, compared = _secret_diffs(kind, m, live, ctx.secret_values)
        if not compared and ctx.options.compare_secrets and secrets.has_refs(m.spec):
            warnings.append("secrets not compared (see notes)")
        diffs += secret_diffs
    state = provisioning_state(body) if kind.long_running else None
    # What it inherits is never sent, so never refused (a Project's network is its hub's).
    sent = kind.without_inherited(m.spec, body)
    refused = kind.refused_update(body, sent) if kind.refused_update is not None else None
    verdict = _verdict(kind, diffs, state, refused)
    warnings += _update_warnings(kind, m, verdict, body, state=state, ctx=ctx)
    return _compared(
        verdict,
        kind=kind,
        address=address,
        workspace=parent,
        body=body,
        after=after,
        diffs=diffs,
        warnings=warnings,
    )


def _left_alone(kind: ResourceKind, body: Any, owner: str, adopted: str | None) -> Verdict:
    """An undeclared resource not pruned, and what the ownership check found on it
    (``adopted``: why this configuration owns it though it carries no marker)."""
    made = kind.made_by_service(body) if kind.made_by_service is not None else None
    if made:
        reason = f"{made}: not declared, never drift, never deleted"
        return Verdict(Action.UNMANAGED, ReasonCode.MADE_BY_SERVICE, reason)
    reason = "exists in Azure but is not declared; left alone"
    if adopted:
        reason += f" ({adopted}: --prune deletes it)"
        return Verdict(Action.UNMANAGED, ReasonCode.UNMANAGED_OWNED, reason)
    found = ownership.marker_of(body) if kind.mark is not None else None
    if kind.mark is not None and ownership.owned_by(body, owner):
        reason += f" (marked {OWNER_KEY}: {found}: --prune deletes it)"
        return Verdict(Action.UNMANAGED, ReasonCode.UNMANAGED_OWNED, reason)
    if found is not None and found == ownership.marker(owner):  # no owner set, bare marker
        reason += (
            f" (marked {OWNER_KEY}: {found}, with no owner: --prune deletes only what a "
            "configuration with an owner marked)"
        )
        return Verdict(Action.UNMANAGED, ReasonCode.UNMANAGED_OTHER_OWNER, reason)
    if ownership.by_this_tool(found):
        reason += (
            f" (marked {OWNER_KEY}: {found}, not {ownership.marker(owner)}: never pruned here)"
        )
        return Verdict(Action.UNMANAGED, ReasonCode.UNMANAGED_OTHER_OWNER, reason)
    return Verdict(Action.UNMANAGED, ReasonCode.UNMANAGED, reason)


def _prune_note(owner: str) -> str:
    if not owner:
        return "--prune deleted nothing: no owner is set (owner in Defaults, or --owner)"
    return (
        f"--prune: only undeclared connections marked {OWNER_KEY}: "
        f"{ownership.marker(owner)} are deleted, and undeclared resources that cannot carry a "
        "marker where this configuration declares their parent's set of them"
    )


def _undeclared_change(
    kind: ResourceKind,
    address: Address,
    workspace: str,
    body: Any,
    *,
    owner: str,
    prune: bool,
    adopted: str | None,
) -> Change:
    verdict = _left_alone(kind, body, owner, adopted)
    if prune and verdict.code is ReasonCode.UNMANAGED_OWNED:
        why = adopted or f"marked {OWNER_KEY}: {ownership.marker(owner)}"
        reason = f"no longer declared, and {why} (this configuration; --prune)"
        verdict = Verdict(Action.DELETE, ReasonCode.PRUNED, reason)
    return _compared(
        verdict,
        kind=kind,
        address=address,
        workspace=workspace,
        body=body,
        after=None,
        diffs=[],
        warnings=[],
    )


def _unmanaged(manifests: ManifestSet, live: LiveState, prune: bool) -> list[Change]:
    """Live resources in declared parents that no manifest declares."""
    declared = {m.address.key: m for m in manifests.resources}
    changes = []
    for found in live.present():
        kind = kinds.of(found.address.kind)
        if kind.parent is None or found.address.key in declared:
            continue
        parent = declared.get(kind.parent_address(found.address).key)
        if parent is not None:
            change = _undeclared_change(
                kind,
                found.address,
                str(parent.address),
                found.body,
                owner=manifests.owner,
                prune=prune,
                adopted=ownership.adopted(kind, parent, manifests),
            )
            changes.append(change)
    return changes


# The order changes are listed in, within a workspace: what needs attention first.
ORDER = {
    a: i
    for i, a in enumerate(
        [
            Action.REPLACE_REQUIRED,
            Action.DELETE,
            Action.CREATE,
            Action.UPDATE,
            Action.READ,
            Action.UNMANAGED,
            Action.NO_OP,
        ]
    )
}


def _below_top(change: Change) -> bool:
    kind = kinds.get(change.kind)
    return kind is None or not kind.top


def _sort_key(change: Change) -> tuple[str, bool, int, str]:
    """By workspace, the workspace itself first, then by action and address."""
    return (
        change.workspace.lower(),
        _below_top(change),
        ORDER[change.action],
        change.address.lower(),
    )


def _declared_changes(
    manifests: ManifestSet,
    live: LiveState,
    options: Options,
    secret_values: Mapping[SecretKey, str],
    decided: Mapping[Key, Change],
) -> list[Change]:
    """Every declared resource, kind by kind, parents first (a resource whose parent is being
    created is created too)."""
    ctx = Context(options, secret_values, manifests.owner, {})
    changes: list[Change] = []
    for kind in kinds.KINDS:
        declared = [m for m in manifests.resources if m.address.kind == kind.kind]
        for m in sorted(declared, key=lambda m: m.address.key):
            change = decided.get(m.address.key) or decide(kind, m, live, ctx)
            ctx.actions[m.address.key] = change.action
            changes.append(change)
    return changes


def decide(kind: ResourceKind, m: ResourceManifest, live: LiveState, ctx: Context) -> Change:
    """One declared resource's change (its parent's action is in ``ctx``)."""
    return _at_version(kind, kinds.resolve(m), live, ctx)


def _notes(manifests: ManifestSet, live: LiveState, options: Options) -> list[str]:
    notes: list[str] = []
    if options.prune:
        notes.append(_prune_note(manifests.owner))
    if live.secrets_note:
        notes.append(live.secrets_note)
    elif not options.compare_secrets and any(
        kinds.of(m.address.kind).secrets_action for m in manifests.resources
    ):
        notes.append(
            "secrets were not compared (--secrets skip); a rotated secret will not show as a change"
        )
    return notes


def plan(
    manifests: ManifestSet,
    live: LiveState,
    *,
    options: Options | None = None,
    secret_values: Mapping[SecretKey, str] | None = None,
    targets: tuple[str, ...] = (),
    extra: tuple[Change, ...] = (),
    decided: Mapping[Key, Change] | None = None,
) -> Plan:
    """The plan for ``manifests`` over ``live``; ``extra``: findings made elsewhere (Playwright
    audits) to list and filter with the rest; ``decided``: changes already made over ``live``."""
    options = options or Options()
    changes = _declared_changes(manifests, live, options, secret_values or {}, decided or {})
    changes += _unmanaged(manifests, live, options.prune)
    changes += extra
    changes = replacing.with_contents_named(changes)
    changes = sorted((c for c in changes if selected(c, targets)), key=_sort_key)
    notes = targeted_note(targets) + _notes(manifests, live, options)
    digest = manifest_digest(manifests)
    return Plan(tuple(changes), live.calls, tuple(notes), digest, targets=targets)
