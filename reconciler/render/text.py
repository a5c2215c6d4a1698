"""The plan as text, in the style users know from `terraform plan`: + create, ~ update,
! replacement required, ? unmanaged, = unchanged; colour only on a TTY and never with NO_COLOR.
"""

from __future__ import annotations

from collections import Counter

from reconciler import kinds
from reconciler.plan.model import Action, Change, Plan, ReasonCode
from reconciler.render import safe
from reconciler.render.values import flatten, show

SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE_REQUIRED: "!",
    Action.UNMANAGED: "?",
    Action.NO_OP: "=",
    Action.READ: "*",
    Action.DELETE: "-",
}
COLORS = {
    Action.CREATE: "32",
    Action.UPDATE: "33",
    Action.REPLACE_REQUIRED: "31",
    Action.UNMANAGED: "36",
    Action.NO_OP: "2",
    Action.READ: "35",
    Action.DELETE: "31",
}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


RESOURCES = frozenset(k.kind for k in kinds.KINDS)  # what is not one is an audit


def made_by_service(change: Change) -> bool:
    """Azure made it itself (a managed network's Required rules): shown as a count per parent,
    never one line each, since a workspace has a dozen and none is the user's to act on."""
    return change.code is ReasonCode.MADE_BY_SERVICE


def made_by_service_groups(plan: Plan) -> dict[tuple[str, str], int]:
    """How many resources Azure made, by (parent, kind), in plan order."""
    return dict(Counter((c.workspace, c.kind) for c in plan.changes if made_by_service(c)))


def made_by_service_text(parent: str, kind: str, count: int) -> str:
    known = kinds.get(kind)
    noun = known.noun if known is not None else kind
    return f"{count} {noun}(s) Azure made itself in {parent}: never drift, never deleted"


def summary_line(plan: Plan) -> str:
    """Resources and audits counted apart: an audit is not a resource, so a first plan on an
    empty estate does not say "1 unchanged", and the counts match apply's summary."""
    s = Counter(c.action for c in plan.changes if c.kind in RESOURCES and not made_by_service(c))
    deleted = f"{s[Action.DELETE]} to delete, " if s[Action.DELETE] else ""
    line = (
        f"{s[Action.CREATE]} to create, {s[Action.UPDATE]} to update, {deleted}"
        f"{s[Action.REPLACE_REQUIRED]} replacement required, {s[Action.UNMANAGED]} unmanaged, "
        f"{s[Action.NO_OP]} unchanged"
    )
    made = sum(1 for c in plan.changes if made_by_service(c))
    if made:
        line += f", {made} made by Azure"
    audits = {c.workspace for c in plan.changes if c.kind not in RESOURCES}
    if audits:
        findings = sum(
            1 for c in plan.changes if c.kind not in RESOURCES and c.action is Action.READ
        )
        line += f"; {len(audits)} Playwright audit(s): {findings} to review"
    return line


def _reason(change: Change) -> str:
    """The reason, without parentheses of its own: the line already wraps it in a pair."""
    reason = change.reason
    if reason.startswith("(") and reason.endswith(")"):
        return reason[1:-1]
    return reason


def _change(change: Change, color: bool) -> list[str]:
    symbol = SYMBOLS[change.action]
    t = safe.terminal
    head = f"  {symbol} {t(change.address)}  ({change.action.value}: {t(_reason(change))})"
    lines = [_paint(head, COLORS[change.action], color)]
    for warning in change.warnings:
        lines.append(f"      warning: {t(warning)}")
    if change.action is Action.CREATE and change.after is not None:
        for path, value in flatten(change.after):
            line = f"      + {t(path)}: {t(show(value))}"
            lines.append(_paint(line, COLORS[Action.CREATE], color))
    for d in change.diffs:
        path = t(d.path)
        if d.sensitive:
            text = f"      ~ {path}: {t(str(d.after))}"
        elif d.after is None:
            text = f"      - {path}: {t(show(d.before))}"
        elif d.before is None:
            text = f"      + {path}: {t(show(d.after))}"
        else:
            text = f"      ~ {path}: {t(show(d.before))} -> {t(show(d.after))}"
        if d.create_only:
            text += "   # create-only"
        lines.append(text)
    return lines


def _telling(change: Change) -> bool:
    """A resource's no-op worth its own line: one that does not just match (destroy keeps a
    workspace, or finds a declared resource already gone)."""
    return change.kind in RESOURCES and change.code is not ReasonCode.MATCHES_MANIFEST


def render_text(plan: Plan, *, color: bool = False, title: str = "plan") -> str:
    lines = [f"Reconciler {title}: {summary_line(plan)}.", ""]
    shown = [
        c
        for c in plan.changes
        if (c.action is not Action.NO_OP or _telling(c)) and not made_by_service(c)
    ]
    for change in shown:
        lines += _change(change, color)
    for (parent, kind), count in made_by_service_groups(plan).items():
        lines.append(f"  · {safe.terminal(made_by_service_text(parent, kind, count))}")
    unchanged = [
        c
        for c in plan.changes
        if c.action is Action.NO_OP and c.kind in RESOURCES and not _telling(c)
    ]
    if unchanged:
        lines.append(f"  = {len(unchanged)} resource(s) unchanged")
    passed = [c for c in plan.changes if c.action is Action.NO_OP and c.kind not in RESOURCES]
    if passed:
        lines.append(f"  = {len(passed)} audit(s) without findings")
    if not plan.changes:
        lines.append("  (nothing declared)")
    if plan.notes:
        lines += ["", "Notes:"] + [f"  - {safe.terminal(n)}" for n in plan.notes]
    lines += ["", f"{plan.total_calls} call(s) to Azure."]
    if plan.has_drift and not plan.has_changes:
        lines.append(f"Nothing to apply; {plan.count(Action.READ)} finding(s) to review.")
    elif not plan.has_changes and title == "destroy plan":
        lines.append("Nothing to delete.")  # what is declared is gone: Azure does not match
    elif not plan.has_changes and plan.targets:  # the rest was left out, not found unchanged
        lines.append("No changes within --target: Azure matches the manifests there.")
    elif not plan.has_changes:
        lines.append("No changes: Azure matches the manifests.")
    return "\n".join(lines) + "\n"
