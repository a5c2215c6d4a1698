"""What replacing a workspace does to what lives in it, said on the workspace's change.

A workspace whose create-only field differs is shown "replace-required"; what it holds is
decided on its own and shown unchanged, because it matches. Yet ``apply --allow-replace``
deletes the workspace with everything in it and then creates the declared resources again,
and what was never declared (a connection made in the portal, its secret with it) is gone for
good. A reviewer approving the replacement must see both counts on the change they approve.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from reconciler import kinds
from reconciler.plan.model import Action, Change, ReasonCode


def with_contents_named(changes: list[Change]) -> list[Change]:
    """``changes``, each workspace to replace warned of the resources it holds (Azure's own
    rules excepted: Azure makes them again; and those --prune deletes, shown deleted)."""
    replaced = {
        c.address.lower()
        for c in changes
        if c.action is Action.REPLACE_REQUIRED and c.workspace.lower() == c.address.lower()
    }
    if not replaced:
        return changes
    recreated: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for change in changes:
        parent = change.workspace.lower()
        if parent not in replaced or change.address.lower() == parent:
            continue
        if change.code is ReasonCode.MADE_BY_SERVICE or change.action is Action.DELETE:
            continue  # Azure makes its own again; a pruned one is deleted by the plan anyway
        (lost if change.action is Action.UNMANAGED else recreated)[parent] += 1
    naming = _naming(changes, replaced)
    return [
        _warned(c, recreated[c.address.lower()], lost[c.address.lower()], naming.get(key, []))
        if (key := c.address.lower()) in replaced and c.workspace.lower() == key
        else c
        for c in changes
    ]


def _naming(changes: list[Change], replaced: set[str]) -> dict[str, list[str]]:
    """Per workspace to replace, the names of the declared resources naming it by id (a
    project its hub, ``ResourceKind.id_references``): deleted under them, as destroy warns."""
    ids = {
        str((c.before or {}).get("id", "")).lower(): c.address.lower()
        for c in changes
        if c.address.lower() in replaced and isinstance(c.before, dict)
    }
    naming: dict[str, list[str]] = {}
    for change in changes:
        kind = kinds.get(change.kind)
        for path in kind.id_references if kind is not None else ():
            value: object = change.after if change.after is not None else change.before
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, str) and value.lower() in ids:
                naming.setdefault(ids[value.lower()], []).append(change.address.rsplit("/")[-1])
    return naming


def _warned(change: Change, recreated: int, lost: int, naming: list[str]) -> Change:
    warnings = list(change.warnings)
    if naming:
        warnings.append(
            f"{', '.join(sorted(naming))} name(s) it by id (a project names its hub): apply "
            "--allow-replace deletes what they name and creates a new one in its place"
        )
    said = []
    if recreated:
        said.append(f"the {recreated} declared resource(s) in it are created again")
    if lost:
        said.append(f"the {lost} undeclared one(s) in it are deleted for good, secrets included")
    if said:
        warnings.append("apply --allow-replace deletes it with all it holds: " + "; ".join(said))
    return replace(change, warnings=tuple(warnings))
