"""``--target``: which changes a plan is cut to, and what it says about the cut.

A target names a resource or a workspace by the end of its address, in any case
(``testworkspace``, ``testworkspace/aoai-prod``, a whole address)."""

from __future__ import annotations

from reconciler.plan.model import Change


def selected(change: Change, targets: tuple[str, ...]) -> bool:
    """The change is one the targets name, or belongs to a workspace they name (no targets:
    every change)."""
    if not targets:
        return True
    candidates = (change.address.lower(), change.workspace.lower())
    for target in targets:
        t = normalised(target)
        if any(c == t or c.endswith("/" + t) for c in candidates):
            return True
    return False


def normalised(target: str) -> str:
    """A target as it selects: ``TestWorkspace/`` and ``testworkspace`` name the same slice."""
    return target.lower().strip("/")


def targeted_note(targets: tuple[str, ...]) -> list[str]:
    """Said in every rendering of a plan cut by ``--target``: a reviewer approving it must know
    that what the manifests declare elsewhere was left out, not found unchanged."""
    if not targets:
        return []
    named = ", ".join(repr(t) for t in targets)
    return [
        f"This plan is cut to --target {named}: what the manifests declare outside it is "
        "left out, not found unchanged."
    ]


def unmatched_targets(changes: tuple[Change, ...], targets: tuple[str, ...]) -> list[str]:
    """The ``--target`` values that select nothing: a typo there would otherwise plan
    nothing and report "No changes" — a false green in CI."""
    return [t for t in targets if not any(selected(c, (t,)) for c in changes)]
