"""The plan as Markdown for pull-request comments and job summaries.

A summary line, replacement warnings first, one table per workspace, field diffs folded in
``<details>``, and a hard stop under GitHub's 65,536-character comment limit that says so.
"""

from __future__ import annotations

from reconciler.plan.model import Action, Change, Plan
from reconciler.render.text import SYMBOLS, summary_line
from reconciler.render.values import flatten, show

GITHUB_COMMENT_LIMIT = 65_536
_MARGIN = 600  # room for the truncation note

ICONS = {
    Action.CREATE: "🟢 create",
    Action.UPDATE: "🟡 update",
    Action.REPLACE_REQUIRED: "🔴 replace required",
    Action.UNMANAGED: "⚪ unmanaged",
    Action.NO_OP: "✅ no change",
    Action.READ: "🟣 review",
    Action.DELETE: "🔴 delete (prune)",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _details(change: Change) -> str:
    lines: list[str] = []
    if change.action is Action.CREATE and change.after is not None:
        lines += [f"+ {p}: {show(v)}" for p, v in flatten(change.after)]
    for d in change.diffs:
        if d.sensitive:
            lines.append(f"~ {d.path}: {d.after}")
        elif d.after is None:
            lines.append(f"- {d.path}: {show(d.before)}")
        else:
            lines.append(
                f"~ {d.path}: {show(d.before)} -> {show(d.after)}"
                + ("   # create-only" if d.create_only else "")
            )
    lines += [f"! {w}" for w in change.warnings]
    if not lines:
        return ""
    body = "\n".join(lines).replace("```", "'''")
    return (
        f"<details><summary>{SYMBOLS[change.action]} <code>{change.address}</code>"
        f"</summary>\n\n```diff\n{body}\n```\n\n</details>\n"
    )


def render_markdown(plan: Plan, *, title: str = "plan", limit: int = GITHUB_COMMENT_LIMIT) -> str:
    head = [f"### azureml-reconciler {title}", "", f"**{summary_line(plan)}**", ""]
    replace = [c for c in plan.changes if c.action is Action.REPLACE_REQUIRED]
    for change in replace:
        head.append(f"> [!WARNING]\n> `{change.address}`: {change.reason}\n")
    sections: list[str] = []
    groups: dict[str, list[Change]] = {}
    for change in plan.changes:
        groups.setdefault(change.workspace or change.kind, []).append(change)
    for group, changes in groups.items():
        rows = ["| resource | action | reason |", "|---|---|---|"]
        rows += [
            f"| `{_cell(c.address.rsplit('/', 1)[-1])}` {c.kind} | {ICONS[c.action]} | "
            f"{_cell(c.reason)} |"
            for c in changes
        ]
        details = "".join(_details(c) for c in changes if c.action is not Action.NO_OP)
        sections.append(f"#### `{group}`\n\n" + "\n".join(rows) + "\n\n" + details)
    tail = []
    if plan.notes:
        tail += ["**Notes**", ""] + [f"- {n}" for n in plan.notes] + [""]
    tail.append(
        f"<sub>{plan.total_calls} call(s) to Azure · plan digest "
        f"`{plan.manifest_digest[:19]}`</sub>"
    )
    text = "\n".join(head) + "\n"
    budget = limit - _MARGIN - len("\n".join(tail))
    omitted = 0
    for section in sections:
        if len(text) + len(section) > budget:
            omitted += 1
            continue
        text += section + "\n"
    if omitted:
        text += (
            f"> [!NOTE]\n> {omitted} workspace section(s) omitted to stay under GitHub's "
            f"{limit:,}-character comment limit; see the full plan artifact "
            "(`--format json` or text).\n\n"
        )
    return text + "\n".join(tail) + "\n"
