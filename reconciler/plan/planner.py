"""Decide, without I/O, what applying the manifests to the live state would change.

``plan(manifests, live, secret_values=...)`` is a pure function: the reader fetched the live
state, the CLI resolved secret values (only to compare them; they never enter the plan), and
the result is a :class:`Plan` value that every renderer and the applier consume.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from reconciler.manifest import secrets
from reconciler.manifest.model import (
    Address,
    ConnectionManifest,
    Kind,
    ManifestSet,
    WorkspaceManifest,
)
from reconciler.plan import ownership
from reconciler.plan.compare import Node, create_only_paths, diff
from reconciler.plan.model import Action, Change, FieldDiff, Plan, ReasonCode
from reconciler.plan.ownership import OWNER_KEY
from reconciler.plan.record import fingerprint, manifest_digest, redact, strip_credentials
from reconciler.plan.server import server_defaults
from reconciler.plan.writeback import (
    credentials_missing,
    credentials_reason,
    uncarried,
    uncarried_reason,
)
from reconciler.read.livestate import LiveState, without_nulls
from reconciler.schemas import load_schema

SENSITIVE_CHANGED = "(sensitive value changed)"
SENSITIVE = "(sensitive)"

SecretKey = tuple[tuple[str, ...], str]  # (connection address key, dotted path in spec)

# The api-versions the PUT bodies are written in (the schemas are generated for these).
WORKSPACE_API = "2023-04-01"
CONNECTION_API = "2024-04-01"
IN_PROGRESS_NOTE = "apply waits for it to end before changing it or its connections"
ENDED_BADLY = ("Failed", "Canceled")  # provisioning states after which apply PUTs again


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


def _replace_reason(paths: list[str], kind: Kind) -> str:
    fields = ", ".join(paths)
    return (
        f"{fields} {'is' if len(paths) == 1 else 'are'} create-only: replacement required. "
        f"ARM rejects this change as an update; revert the manifest, or delete and recreate "
        f"the {kind.lower()} (its data goes with it)"
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


def _node(schema_name: str) -> Node:
    schema = load_schema(schema_name)
    return Node(schema, schema)


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
    address: Address,
    workspace: str,
    body: Any,
    after: Any,
    diffs: list[FieldDiff],
    warnings: list[str],
) -> Change:
    """The change for a resource found in Azure: carries the live state it was computed
    against (redacted) and its fingerprint, so apply can notice it moved."""
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
        fingerprint=fingerprint(body),
        warnings=tuple(warnings),
    )


def _resource_group_warnings(address: Address, live: LiveState) -> list[str]:
    if (address.subscription, address.resource_group) not in live.missing_resource_groups:
        return []
    return [f"resource group {address.resource_group!r} does not exist; create it before applying"]


def _workspace_diffs(
    ws: WorkspaceManifest, body: Any, node: Node, options: Options
) -> tuple[list[FieldDiff], list[str]]:
    """The field diffs (create-only ones flagged), and the paths among them that block."""
    defaults = server_defaults(Kind.WORKSPACE, ws.address.name)
    found = list(diff(ws.spec, body, node, strict=options.strict, defaults=defaults))
    create_only = create_only_paths(node, ws.spec)
    diffs = [FieldDiff(d.path, d.before, d.after, create_only=d.path in create_only) for d in found]
    return diffs, [d.path for d in diffs if d.create_only]


def _workspace_verdict(diffs: list[FieldDiff], blocked: list[str], state: str | None) -> Verdict:
    if blocked:
        reason = _replace_reason(blocked, Kind.WORKSPACE)
        return Verdict(Action.REPLACE_REQUIRED, ReasonCode.CREATE_ONLY, reason)
    if diffs:
        return Verdict(Action.UPDATE, ReasonCode.FIELDS_DIFFER, _describe(diffs))
    if in_progress(state):
        # Never "unchanged" while it is still being provisioned: it may yet end Failed.
        reason = (
            f"provisioning in progress (provisioningState {state}); {IN_PROGRESS_NOTE}, "
            "and fails if it ends otherwise than Succeeded"
        )
        return Verdict(Action.UPDATE, ReasonCode.IN_PROGRESS, reason)
    if state in ENDED_BADLY:
        reason = f"last provisioning ended {state}; applying again"
        return Verdict(Action.UPDATE, ReasonCode.LAST_FAILED, reason)
    return MATCHES


def _workspace_warnings(
    verdict: Verdict, body: Any, node: Node, options: Options, state: str | None
) -> list[str]:
    """What an update of this workspace must warn about (a replacement warns of nothing)."""
    if verdict.action is not Action.UPDATE:
        return []
    warnings: list[str] = []
    differs = verdict.code is ReasonCode.FIELDS_DIFFER
    if in_progress(state) and differs:
        warnings.append(
            f"an operation is in progress (provisioningState {state}); {IN_PROGRESS_NOTE}"
        )
    if differs or state in ENDED_BADLY:
        warnings += update_warnings(body, node, options, WORKSPACE_API)
    return warnings


def _workspace_change(ws: WorkspaceManifest, live: LiveState, options: Options) -> Change:
    address = ws.address
    after = redact(ws.spec)
    warnings = _resource_group_warnings(address, live)
    body = live.workspaces.get(address.key)
    if body is None:
        return _absent(
            NOT_FOUND, address=address, workspace=str(address), after=after, warnings=warnings
        )
    body = without_nulls(body)
    node = _node("workspace.schema.json")
    diffs, blocked = _workspace_diffs(ws, body, node, options)
    state = provisioning_state(body)
    verdict = _workspace_verdict(diffs, blocked, state)
    warnings += _workspace_warnings(verdict, body, node, options, state)
    return _compared(
        verdict,
        address=address,
        workspace=str(address),
        body=body,
        after=after,
        diffs=diffs,
        warnings=warnings,
    )


def _secret_diffs(
    conn: ConnectionManifest, live: LiveState, secret_values: Mapping[SecretKey, str]
) -> tuple[list[FieldDiff], bool]:
    """Changed secrets (as markers only), and whether the comparison could be made."""
    refs = list(secrets.find_refs(conn.spec))
    if not refs:
        return [], True
    if conn.address.key not in live.credentials:
        return [], False
    stored = live.credentials[conn.address.key] or {}
    diffs = []
    for path, _ in refs:
        dotted = ".".join(str(p) for p in path)
        wanted = secret_values.get((conn.address.key, dotted))
        if wanted is None:
            return [], False
        current: Any = {"properties": {"credentials": stored}}
        for part in path:
            current = current.get(part) if isinstance(current, dict) else None
        same = isinstance(current, str) and hmac.compare_digest(current.encode(), wanted.encode())
        if not same:
            diffs.append(FieldDiff(dotted, SENSITIVE, SENSITIVE_CHANGED, sensitive=True))
    return diffs, True


def _connection_diffs(
    conn: ConnectionManifest,
    body: Any,
    live: LiveState,
    node: Node,
    options: Options,
    secret_values: Mapping[SecretKey, str],
) -> tuple[list[FieldDiff], list[str]]:
    """Field and secret diffs, and the warning when the secrets could not be compared."""
    ignore = frozenset({f"properties.metadata.{OWNER_KEY}"})
    defaults = server_defaults(Kind.CONNECTION, conn.address.name)
    diffs = list(
        diff(conn.spec, body, node, strict=options.strict, ignore=ignore, defaults=defaults)
    )
    warnings: list[str] = []
    secret_diffs, compared = _secret_diffs(conn, live, secret_values)
    if not compared and options.compare_secrets and any(True for _ in secrets.find_refs(conn.spec)):
        warnings.append("secrets not compared (see notes)")
    return diffs + secret_diffs, warnings


def _connection_update_warnings(
    conn: ConnectionManifest, body: Any, node: Node, options: Options, owner: str
) -> list[str]:
    """Why an update of this connection cannot be applied as planned, if it cannot."""
    warnings = update_warnings(body, node, options, CONNECTION_API)
    if credentials_missing(conn.spec, node):
        warnings.append(credentials_reason(conn.address.name))
    foreign = ownership.foreign_marker(body, owner)
    if foreign:
        warnings.append(ownership.foreign_reason(foreign, owner))
    return warnings


def _connection_verdict(diffs: list[FieldDiff]) -> Verdict:
    if not diffs:
        return MATCHES
    if all(d.sensitive for d in diffs):
        return Verdict(Action.UPDATE, ReasonCode.SECRET_ROTATED, SENSITIVE_CHANGED)
    return Verdict(Action.UPDATE, ReasonCode.FIELDS_DIFFER, _describe(diffs))


def _connection_change(
    conn: ConnectionManifest,
    live: LiveState,
    *,
    options: Options,
    secret_values: Mapping[SecretKey, str],
    workspace_action: Action | None,
    owner: str = "",
) -> Change:
    address = conn.address
    after = redact(conn.spec)
    parent = str(address.workspace_address)
    body = live.connections.get(address.workspace_address.key, {}).get(address.name.lower())
    if workspace_action is Action.CREATE or body is None:
        verdict = NOT_FOUND
        if workspace_action is Action.CREATE:
            verdict = Verdict(
                Action.CREATE, ReasonCode.PARENT_CREATED, "its workspace is being created"
            )
        return _absent(verdict, address=address, workspace=parent, after=after)
    body = without_nulls(body)
    node = _node("connection.schema.json")
    diffs, warnings = _connection_diffs(conn, body, live, node, options, secret_values)
    if diffs:
        warnings += _connection_update_warnings(conn, body, node, options, owner)
    return _compared(
        _connection_verdict(diffs),
        address=address,
        workspace=parent,
        body=body,
        after=after,
        diffs=diffs,
        warnings=warnings,
    )


def _left_alone(body: Any, owner: str) -> Verdict:
    """An undeclared connection not pruned, and what the ownership check found on it."""
    reason = "exists in Azure but is not declared; left alone"
    found = ownership.marker_of(body)
    if ownership.owned_by(body, owner):
        reason += f" (marked {OWNER_KEY}: {found}: --prune deletes it)"
        return Verdict(Action.UNMANAGED, ReasonCode.UNMANAGED_OWNED, reason)
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
        f"{ownership.marker(owner)} are deleted"
    )


def _undeclared_change(
    address: Address, workspace: str, body: Any, owner: str, prune: bool
) -> Change:
    verdict = _left_alone(body, owner)
    if prune and ownership.owned_by(body, owner):
        reason = (
            f"no longer declared, and marked {OWNER_KEY}: "
            f"{ownership.marker(owner)} (this configuration; --prune)"
        )
        verdict = Verdict(Action.DELETE, ReasonCode.PRUNED, reason)
    return Change(
        address=str(address),
        kind=address.kind,
        action=verdict.action,
        code=verdict.code,
        reason=verdict.reason,
        workspace=workspace,
        before=strip_credentials(body),
        fingerprint=fingerprint(body),
    )


def _unmanaged(manifests: ManifestSet, live: LiveState, prune: bool) -> list[Change]:
    """Live connections of declared workspaces that no manifest declares."""
    declared = {c.address.key for c in manifests.connections}
    changes = []
    for ws in manifests.workspaces:
        for name, body in sorted(live.connections.get(ws.address.key, {}).items()):
            address = Address(
                Kind.CONNECTION,
                ws.address.subscription,
                ws.address.resource_group,
                str(body.get("name", name)),
                ws.address.name,
            )
            if address.key not in declared:
                changes.append(
                    _undeclared_change(address, str(ws.address), body, manifests.owner, prune)
                )
    return changes


def _matches(change: Change, targets: tuple[str, ...]) -> bool:
    if not targets:
        return True
    candidates = (change.address.lower(), change.workspace.lower())
    for target in targets:
        t = target.lower().strip("/")
        if any(c == t or c.endswith("/" + t) for c in candidates):
            return True
    return False


def unmatched_targets(changes: tuple[Change, ...], targets: tuple[str, ...]) -> list[str]:
    """The ``--target`` values that select nothing: a typo there would otherwise plan
    nothing and report "No changes" — a false green in CI."""
    return [t for t in targets if not any(_matches(c, (t,)) for c in changes)]


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


def _sort_key(change: Change) -> tuple[str, bool, int, str]:
    """By workspace, the workspace itself first, then by action and address."""
    return (
        change.workspace.lower(),
        change.kind is not Kind.WORKSPACE,
        ORDER[change.action],
        change.address.lower(),
    )


def _declared_changes(
    manifests: ManifestSet,
    live: LiveState,
    options: Options,
    secret_values: Mapping[SecretKey, str],
) -> list[Change]:
    """Every declared workspace, then every declared connection (which needs its
    workspace's action: a connection of a workspace being created is created too)."""
    changes: list[Change] = []
    actions: dict[tuple[str, ...], Action] = {}
    for ws in sorted(manifests.workspaces, key=lambda w: w.address.key):
        change = _workspace_change(ws, live, options)
        actions[ws.address.key] = change.action
        changes.append(change)
    for conn in sorted(manifests.connections, key=lambda c: c.address.key):
        change = _connection_change(
            conn,
            live,
            options=options,
            secret_values=secret_values,
            workspace_action=actions.get(conn.address.workspace_address.key),
            owner=manifests.owner,
        )
        changes.append(change)
    return changes


def _notes(manifests: ManifestSet, live: LiveState, options: Options) -> list[str]:
    notes: list[str] = []
    if options.prune:
        notes.append(_prune_note(manifests.owner))
    if live.secrets_note:
        notes.append(live.secrets_note)
    elif not options.compare_secrets and manifests.connections:
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
) -> Plan:
    """The plan for ``manifests`` over ``live``; ``extra`` holds findings made elsewhere
    (Playwright audits) to list and filter with the rest."""
    options = options or Options()
    changes = _declared_changes(manifests, live, options, secret_values or {})
    changes += _unmanaged(manifests, live, options.prune)
    changes += extra
    changes = sorted((c for c in changes if _matches(c, targets)), key=_sort_key)
    notes = _notes(manifests, live, options)
    return Plan(tuple(changes), live.calls, tuple(notes), manifest_digest(manifests))
