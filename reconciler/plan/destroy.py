"""Decide, without I/O, what ``destroy`` would delete: exactly what the manifests declare.

``destroy_plan(manifests, live, options=...)`` is a pure function like
:func:`reconciler.plan.planner.plan`, over the same live state, and its value is the same
:class:`~reconciler.plan.model.Plan`: every renderer shows it, the destroyer applies it.

* A declared resource that is in Azure is a ``delete``; one that is not is a ``no-op``
  (``already_absent``), so a rerun after a partial failure converges.
* A declared top-level resource (a workspace) is deleted only with ``include_workspaces``;
  without it, it is a ``no-op`` (``workspace_kept``). A kind the service soft-deletes says so:
  its name stays taken for the retention period unless ``purge``.
* What is not declared is never deleted: it is listed as the plan lists it (``unmanaged``),
  and a workspace that goes takes it with it — its change warns of that by name.
* A resource others may name by id (a hub, by its projects) that goes warns of those staying
  in Azure by name; where it goes, the session lists its resource group once
  (:func:`groups_to_list`) so undeclared ones are found too, and plans again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reconciler import kinds
from reconciler.kinds import ResourceKind
from reconciler.manifest.model import ManifestSet, ResourceManifest
from reconciler.plan import ownership
from reconciler.plan.model import Action, Change, Plan, ReasonCode
from reconciler.plan.planner import (
    Verdict,
    _absent,
    _compared,
    _sort_key,
    _unmanaged,
)
from reconciler.plan.record import manifest_digest, redact
from reconciler.plan.targeting import selected, targeted_note
from reconciler.read.livestate import LiveState, without_nulls

ABSENT = Verdict(Action.NO_OP, ReasonCode.ALREADY_ABSENT, "not in Azure: nothing to delete")
DESTROY = Verdict(Action.DELETE, ReasonCode.DESTROYED, "declared: destroy deletes it")


@dataclass(frozen=True)
class DestroyOptions:
    include_workspaces: bool = False  # delete declared top-level resources too
    purge: bool = False  # delete soft-deleted kinds for good (their names free at once)


def _top_verdict(kind: ResourceKind, options: DestroyOptions) -> Verdict:
    """A declared top-level resource that is in Azure."""
    if not options.include_workspaces:
        reason = f"kept: destroy deletes a {kind.noun} only with --include-workspaces"
        return Verdict(Action.NO_OP, ReasonCode.WORKSPACE_KEPT, reason)
    soft = kind.soft_delete
    if soft is None:
        return DESTROY
    if options.purge:
        reason = "declared: destroy deletes it for good (--purge); its name is free at once"
        return Verdict(Action.DELETE, ReasonCode.DESTROYED_PURGED, reason)
    reason = (
        f"declared: destroy soft-deletes it; Azure keeps it {soft.retention_days} days and its "
        f"name stays taken until then (a create of that name is refused) unless --purge"
    )
    return Verdict(Action.DELETE, ReasonCode.DESTROYED_SOFT, reason)


def _taken_along(parent: str, undeclared: list[Change]) -> list[str]:
    """A warning naming what a deleted parent takes with it that no manifest declares."""
    inside = [
        c for c in undeclared if c.workspace == parent and c.code is not ReasonCode.MADE_BY_SERVICE
    ]
    if not inside:
        return []
    names = ", ".join(c.address.rsplit("/", 1)[-1] for c in inside[:5])
    more = f" and {len(inside) - 5} more" if len(inside) > 5 else ""
    return [
        f"deleting it also deletes what it holds that no manifest declares: "
        f"{len(inside)} resource(s) ({names}{more})"
    ]


def _declared(
    kind: ResourceKind,
    m: ResourceManifest,
    live: LiveState,
    options: DestroyOptions,
    undeclared: list[Change],
    owner: str,
) -> Change:
    address = m.address
    parent = str(address) if kind.top else str(kind.parent_address(address))
    body = live.get(address)
    if body is None:
        return _absent(ABSENT, address=address, workspace=parent, after=None)
    verdict = _top_verdict(kind, options) if kind.top else DESTROY
    foreign = ownership.foreign_marker(body, owner) if kind.mark is not None else None
    if foreign:
        reason = (
            f"kept: managed by another configuration (managed-by: {foreign}); this one is "
            f"{ownership.marker(owner)}: destroy deletes only what no other configuration owns"
        )
        verdict = Verdict(Action.NO_OP, ReasonCode.OWNED_ELSEWHERE, reason)
    deleted = kind.top and verdict.action is Action.DELETE
    warnings = _taken_along(parent, undeclared) if deleted else []
    return _compared(
        verdict,
        kind=kind.at(m.api_version),
        address=address,
        workspace=parent,
        body=without_nulls(body),
        after=redact(m.spec),
        diffs=[],
        warnings=warnings,
    )


def _warn_named_by_survivors(changes: list[Change], live: LiveState) -> list[Change]:
    """A deleted resource that one staying in Azure names by id (a hub its project names,
    ``ResourceKind.id_references``) says so: the one staying would name what is gone."""
    deleted = {str(c.address).lower() for c in changes if c.action is Action.DELETE}
    ids = {
        (found.body or {}).get("id", "").lower(): str(found.address)
        for found in live.present()
        if str(found.address).lower() in deleted
    }
    naming: dict[str, list[str]] = {}
    for found in live.present():
        kind = kinds.get(found.address.kind)
        if kind is None or str(found.address).lower() in deleted:
            continue
        for path in kind.id_references:
            value: object = found.body
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, str) and value.lower() in ids:
                naming.setdefault(ids[value.lower()].lower(), []).append(found.address.name)
    return [
        replace(
            c,
            warnings=(
                *c.warnings,
                f"{', '.join(sorted(naming[key]))} name(s) it by id and stay(s) in Azure (a "
                "project names its hub): delete them first or in the same run, or they are left "
                "naming what is gone",
            ),
        )
        if (key := str(c.address).lower()) in naming
        else c
        for c in changes
    ]


def groups_to_list(plan: Plan, live: LiveState) -> set[tuple[str, str, str]]:
    """(kind, subscription, resource group) of each group where ``plan`` deletes a resource
    others there may name by id (a hub): one list of that kind there finds them, undeclared
    ones included (:func:`_warn_named_by_survivors` then names those staying), however many
    resources it holds."""
    deleted = {c.address.lower() for c in plan.changes if c.action is Action.DELETE}
    groups: set[tuple[str, str, str]] = set()
    for found in live.present():
        kind = kinds.get(found.address.kind)
        named = kind.named_by_others if kind is not None else None
        body = found.body or {}
        if named is not None and str(found.address).lower() in deleted and named(body):
            a = found.address
            groups.add((str(a.kind), a.subscription.lower(), a.resource_group.lower()))
    return groups


def _undeclared_in_destroy(undeclared: list[Change], declared: list[Change]) -> list[Change]:
    """What the plan says of an undeclared resource, in a destroy: destroy has no --prune. One
    in a workspace destroy deletes goes with it (the workspace's DELETE takes it, none of its
    own is sent); one elsewhere is left alone, whatever --prune would do in an apply."""
    deleted = {c.address.lower(): c.address for c in declared if c.action is Action.DELETE}
    out = []
    for c in undeclared:
        parent = deleted.get(c.workspace.lower())
        if parent is not None:
            name = parent.rsplit("/", 1)[-1]
            reason = f"not declared; deleted with its workspace {name}, which destroy deletes"
            out.append(replace(c, reason=reason))
        elif "--prune" in c.reason:
            reason = "exists in Azure but is not declared; left alone (destroy deletes only "
            out.append(replace(c, reason=reason + "what the manifests declare)"))
        else:
            out.append(c)
    return out


def _notes(changes: list[Change], options: DestroyOptions) -> list[str]:
    notes = []
    kept = [c for c in changes if c.code is ReasonCode.WORKSPACE_KEPT]
    if kept:
        notes.append(
            f"{len(kept)} declared workspace(s) kept; --include-workspaces deletes them too "
            "(after a confirmation naming them)"
        )
    if any(c.code is ReasonCode.DESTROYED_SOFT for c in changes):
        notes.append(
            "soft delete: a deleted workspace's name stays blocked for its retention period "
            "(14 days by default); --purge deletes it for good"
        )
    return notes


def destroy_plan(
    manifests: ManifestSet,
    live: LiveState,
    *,
    options: DestroyOptions | None = None,
    targets: tuple[str, ...] = (),
) -> Plan:
    """The deletes of what ``manifests`` declare, over ``live``; nothing else is deleted."""
    options = options or DestroyOptions()
    undeclared = _unmanaged(manifests, live, prune=False)
    changes: list[Change] = []
    for kind in kinds.KINDS:
        declared = [m for m in manifests.resources if m.address.kind == kind.kind]
        for m in sorted(declared, key=lambda m: m.address.key):
            changes.append(_declared(kind, m, live, options, undeclared, manifests.owner))
    changes += _undeclared_in_destroy(undeclared, changes)
    changes = sorted((c for c in changes if selected(c, targets)), key=_sort_key)
    changes = _warn_named_by_survivors(changes, live)
    notes = targeted_note(targets) + _notes(changes, options)
    digest = manifest_digest(manifests)
    return Plan(tuple(changes), live.calls, tuple(notes), digest, targets=targets)
