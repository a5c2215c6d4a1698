"""Decide, without I/O, what applying the manifests to the live state would change.

``plan(manifests, live, secret_values=...)`` is a pure function: the reader fetched the live
state, the CLI resolved secret values (only to compare them; they never enter the plan), and
the result is a :class:`Plan` value that every renderer and the applier consume.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.manifest import secrets
from reconciler.manifest.model import (
    Address,
    ConnectionManifest,
    ManifestSet,
    WorkspaceManifest,
)
from reconciler.plan import ownership
from reconciler.plan.compare import Node, create_only_paths, diff
from reconciler.plan.model import Action, Change, FieldDiff, Plan
from reconciler.plan.ownership import OWNER_KEY
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


def redact(spec: Any) -> Any:
    """The spec with every secret reference replaced by a marker naming only its source."""
    ref = secrets.as_ref(spec)
    if ref is not None:
        return f"(sensitive: {ref.describe()})"
    if isinstance(spec, dict):
        return {k: redact(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [redact(v) for v in spec]
    return spec


def _strip_credentials(body: Any) -> Any:
    """Live bodies never carry credentials; make sure a listsecrets answer cannot leak in."""
    if not isinstance(body, dict):
        return body
    out = dict(body)
    props = out.get("properties")
    if isinstance(props, dict) and "credentials" in props:
        out["properties"] = {k: v for k, v in props.items() if k != "credentials"}
    return out


def fingerprint(body: Any) -> str | None:
    """A stable digest of a live resource, to notice it moved between plan and apply."""
    if body is None:
        return None
    clean = _strip_credentials(body)
    if isinstance(clean, dict) and isinstance(clean.get("properties"), dict):
        clean = {
            **clean,
            "properties": {
                k: v for k, v in clean["properties"].items() if k != "provisioningState"
            },
        }
    text = json.dumps(clean, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def manifest_digest(manifests: ManifestSet) -> str:
    """Digest of what is declared (secret references, never values)."""
    parts = (
        [[str(w.address), w.spec] for w in manifests.workspaces]
        + [[str(c.address), c.spec] for c in manifests.connections]
        + [
            [
                p.name,
                p.endpoint,
                p.account_id,
                list(p.required_tokens),
                p.warn_before_expiry_days,
                p.allow_unlisted_tokens,
            ]
            for p in manifests.playwright
        ]
    )
    text = json.dumps(sorted(parts, key=lambda p: str(p[0]).lower()), sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _replace_reason(paths: list[str], kind: str) -> str:
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


def _workspace_change(ws: WorkspaceManifest, live: LiveState, options: Options) -> Change:
    address = ws.address
    body = live.workspaces.get(address.key)
    node = Node(load_schema("workspace.schema.json"), load_schema("workspace.schema.json"))
    after = redact(ws.spec)
    warnings: list[str] = []
    if (address.subscription, address.resource_group) in live.missing_resource_groups:
        warnings.append(
            f"resource group {address.resource_group!r} does not exist; create it before applying"
        )
    if body is None:
        return Change(
            str(address),
            "Workspace",
            Action.CREATE,
            "not found in Azure",
            str(address),
            after=after,
            warnings=tuple(warnings),
        )
    body = without_nulls(body)
    before = _strip_credentials(body)
    defaults = server_defaults("Workspace", address.name)
    diffs = list(diff(ws.spec, body, node, strict=options.strict, defaults=defaults))
    state = provisioning_state(body)
    create_only = create_only_paths(node, ws.spec)
    blocked = [d for d in diffs if d.path in create_only]
    diffs = [FieldDiff(d.path, d.before, d.after, create_only=d.path in create_only) for d in diffs]
    print_ = fingerprint(body)
    if blocked:
        return Change(
            str(address),
            "Workspace",
            Action.REPLACE_REQUIRED,
            _replace_reason([d.path for d in blocked], "Workspace"),
            str(address),
            tuple(diffs),
            before,
            after,
            print_,
            tuple(warnings),
        )
    if in_progress(state) and diffs:
        warnings.append(
            f"an operation is in progress (provisioningState {state}); {IN_PROGRESS_NOTE}"
        )
    if diffs or state in ("Failed", "Canceled"):
        warnings += update_warnings(body, node, options, WORKSPACE_API)
    if diffs:
        return Change(
            str(address),
            "Workspace",
            Action.UPDATE,
            _describe(diffs),
            str(address),
            tuple(diffs),
            before,
            after,
            print_,
            tuple(warnings),
        )
    if in_progress(state):
        # Never "unchanged" while it is still being provisioned: it may yet end Failed.
        return Change(
            str(address),
            "Workspace",
            Action.UPDATE,
            f"provisioning in progress (provisioningState {state}); {IN_PROGRESS_NOTE}, "
            "and fails if it ends otherwise than Succeeded",
            str(address),
            (),
            before,
            after,
            print_,
            tuple(warnings),
        )
    if state in ("Failed", "Canceled"):
        return Change(
            str(address),
            "Workspace",
            Action.UPDATE,
            f"last provisioning ended {state}; applying again",
            str(address),
            (),
            before,
            after,
            print_,
            tuple(warnings),
        )
    return Change(
        str(address),
        "Workspace",
        Action.NO_OP,
        "matches the manifest",
        str(address),
        (),
        before,
        after,
        print_,
        tuple(warnings),
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


def _connection_change(
    conn: ConnectionManifest,
    live: LiveState,
    options: Options,
    secret_values: Mapping[SecretKey, str],
    workspace_action: Action | None,
    owner: str = "",
) -> Change:
    address = conn.address
    schema = load_schema("connection.schema.json")
    node = Node(schema, schema)
    after = redact(conn.spec)
    parent = str(address.workspace_address)
    if workspace_action is Action.CREATE:
        return Change(
            str(address),
            "Connection",
            Action.CREATE,
            "its workspace is being created",
            parent,
            after=after,
        )
    body = live.connections.get(address.workspace_address.key, {}).get(address.name.lower())
    if body is None:
        return Change(
            str(address), "Connection", Action.CREATE, "not found in Azure", parent, after=after
        )
    body = without_nulls(body)
    before = _strip_credentials(body)
    ignore = frozenset({f"properties.metadata.{OWNER_KEY}"})
    defaults = server_defaults("Connection", address.name)
    diffs = list(
        diff(conn.spec, body, node, strict=options.strict, ignore=ignore, defaults=defaults)
    )
    warnings: list[str] = []
    secret_diffs, compared = _secret_diffs(conn, live, secret_values)
    if not compared and options.compare_secrets and any(True for _ in secrets.find_refs(conn.spec)):
        warnings.append("secrets not compared (see notes)")
    diffs += secret_diffs
    print_ = fingerprint(body)
    if diffs:
        warnings += update_warnings(body, node, options, CONNECTION_API)
        if credentials_missing(conn.spec, node):
            warnings.append(credentials_reason(address.name))
        foreign = ownership.foreign_marker(body, owner)
        if foreign:
            warnings.append(ownership.foreign_reason(foreign, owner))
        reason = _describe(diffs) if not all(d.sensitive for d in diffs) else SENSITIVE_CHANGED
        return Change(
            str(address),
            "Connection",
            Action.UPDATE,
            reason,
            parent,
            tuple(diffs),
            before,
            after,
            print_,
            tuple(warnings),
        )
    return Change(
        str(address),
        "Connection",
        Action.NO_OP,
        "matches the manifest",
        parent,
        (),
        before,
        after,
        print_,
        tuple(warnings),
    )


def _whose(body: Any, owner: str) -> str:
    """What the ownership check found, for the reason of a connection left alone."""
    found = ownership.marker_of(body)
    if ownership.owned_by(body, owner):
        return f" (marked {OWNER_KEY}: {found}: --prune deletes it)"
    if ownership.by_this_tool(found):
        return f" (marked {OWNER_KEY}: {found}, not {ownership.marker(owner)}: never pruned here)"
    return ""


def _prune_note(owner: str) -> str:
    if not owner:
        return "--prune deleted nothing: no owner is set (owner in Defaults, or --owner)"
    return (
        f"--prune: only undeclared connections marked {OWNER_KEY}: "
        f"{ownership.marker(owner)} are deleted"
    )


def _unmanaged(manifests: ManifestSet, live: LiveState, prune: bool) -> list[Change]:
    declared = {c.address.key for c in manifests.connections}
    changes = []
    for ws in manifests.workspaces:
        for name, body in sorted(live.connections.get(ws.address.key, {}).items()):
            address = Address(
                ws.address.kind.CONNECTION,
                ws.address.subscription,
                ws.address.resource_group,
                str(body.get("name", name)),
                ws.address.name,
            )
            if address.key in declared:
                continue
            if prune and ownership.owned_by(body, manifests.owner):
                changes.append(
                    Change(
                        str(address),
                        "Connection",
                        Action.DELETE,
                        f"no longer declared, and marked {OWNER_KEY}: "
                        f"{ownership.marker(manifests.owner)} (this configuration; --prune)",
                        str(ws.address),
                        before=_strip_credentials(body),
                        fingerprint=fingerprint(body),
                    )
                )
                continue
            reason = "exists in Azure but is not declared; left alone" + _whose(
                body, manifests.owner
            )
            changes.append(
                Change(
                    str(address),
                    "Connection",
                    Action.UNMANAGED,
                    reason,
                    str(ws.address),
                    before=_strip_credentials(body),
                    fingerprint=fingerprint(body),
                )
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


def plan(
    manifests: ManifestSet,
    live: LiveState,
    *,
    options: Options | None = None,
    secret_values: Mapping[SecretKey, str] | None = None,
    targets: tuple[str, ...] = (),
    extra: tuple[Change, ...] = (),
) -> Plan:
    options = options or Options()
    values = secret_values or {}
    notes: list[str] = []
    changes: list[Change] = []
    actions: dict[tuple[str, ...], Action] = {}
    for ws in sorted(manifests.workspaces, key=lambda w: w.address.key):
        change = _workspace_change(ws, live, options)
        actions[ws.address.key] = change.action
        changes.append(change)
    for conn in sorted(manifests.connections, key=lambda c: c.address.key):
        changes.append(
            _connection_change(
                conn,
                live,
                options,
                values,
                actions.get(conn.address.workspace_address.key),
                manifests.owner,
            )
        )
    changes += _unmanaged(manifests, live, options.prune)
    if options.prune:
        notes.append(_prune_note(manifests.owner))
    changes += extra
    changes = [c for c in changes if _matches(c, targets)]
    if live.secrets_note:
        notes.append(live.secrets_note)
    elif not options.compare_secrets and manifests.connections:
        notes.append(
            "secrets were not compared (--secrets skip); a rotated secret will not show as a change"
        )
    order = {
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
    changes.sort(
        key=lambda c: (
            c.workspace.lower(),
            c.kind != "Workspace",
            order[c.action],
            c.address.lower(),
        )
    )
    return Plan(
        tuple(changes), dict(sorted(live.calls.items())), tuple(notes), manifest_digest(manifests)
    )
