"""The plan as text, in the style users know from `terraform plan`: + create, ~ update,
! replacement required, ? unmanaged, = unchanged; colour only on a TTY and never with NO_COLOR.
"""

from __future__ import annotations

from reconciler.plan.model import Action, Change, Plan
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


def summary_line(plan: Plan) -> str:
    s = plan.summary()
    deleted = f"{s['delete']} to delete, " if s["delete"] else ""
    return (
        f"{s['create']} to create, {s['update']} to update, {deleted}{s['replace-required']} "
        f"replacement required, {s['read']} to review, {s['unmanaged']} unmanaged, "
        f"{s['no-op']} unchanged"
    )


def _change(change: Change, color: bool) -> list[str]:
    symbol = SYMBOLS[change.action]
    t = safe.terminal
    head = f"  {symbol} {t(change.address)}  ({change.action.value}: {t(change.reason)})"
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


def render_text(plan: Plan, *, color: bool = False, title: str = "plan") -> str:
    lines = [f"Reconciler {title}: {summary_line(plan)}.", ""]
    shown = [c for c in plan.changes if c.action is not Action.NO_OP]
    for change in shown:
        lines += _change(change, color)
    unchanged = [c for c in plan.changes if c.action is Action.NO_OP]
    if unchanged:
        lines.append(f"  = {len(unchanged)} resource(s) unchanged")
    if not plan.changes:
        lines.append("  (nothing declared)")
    if plan.notes:
        lines += ["", "Notes:"] + [f"  - {safe.terminal(n)}" for n in plan.notes]
    lines += ["", f"{plan.total_calls} call(s) to Azure."]
    if plan.has_drift and not plan.has_changes:
        lines.append(f"Nothing to apply; {plan.count(Action.READ)} finding(s) to review.")
    elif not plan.has_changes:
        lines.append("No changes: Azure matches the manifests.")
    return "\n".join(lines) + "\n"
