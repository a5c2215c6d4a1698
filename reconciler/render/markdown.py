"""The plan as Markdown for pull-request comments and job summaries.

A summary line, replacement warnings first, one table per workspace, field diffs folded in
``<details>``, and a hard stop under GitHub's 65,536-character comment limit that says so
(warnings, graph, sections and the notes at the end each bounded, what is left out counted).
"""

from __future__ import annotations

from collections import Counter

from reconciler import kinds
from reconciler.plan.model import Action, Change, Plan
from reconciler.render import safe
from reconciler.render.text import SYMBOLS, made_by_service, made_by_service_text, summary_line
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
    Action.DELETE: "🔴 delete",  # the reason says whether pruned or destroyed
}


def _cell(text: str) -> str:
    return safe.md_text(text)


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
    # One line per field, as the text plan shows it: a line break in a path (a tag key set in
    # the portal) or a warning is an escape, never a line of the fence that reads as a diff.
    body = "\n".join(safe.terminal(line) for line in lines)
    return (
        f"<details><summary>{SYMBOLS[change.action]} <code>{safe.html_text(change.address)}"
        f"</code></summary>\n\n{safe.md_fence(body, 'diff')}\n\n</details>\n"
    )


MERMAID_MAX_NODES = 60
_MERMAID_CLASSES = {
    Action.CREATE: "fill:#dafbe1,stroke:#1a7f37",
    Action.UPDATE: "fill:#fff8c5,stroke:#9a6700",
    Action.REPLACE_REQUIRED: "fill:#ffebe9,stroke:#cf222e",
    Action.DELETE: "fill:#ffebe9,stroke:#cf222e,stroke-dasharray: 4 2",
    Action.NO_OP: "fill:#f6f8fa,stroke:#8c959f",
}


def _label(text: str) -> str:
    cleaned = safe.terminal(text).replace("`", "#96;").replace("@", "#64;")
    return cleaned.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _top(change: Change) -> bool:
    kind = kinds.get(change.kind)
    return kind is not None and kind.top


def mermaid(plan: Plan) -> str:
    """A graph of the resources that change, each under its parent (GitHub renders it)."""
    moving = [
        c
        for c in plan.changes
        if kinds.get(c.kind) is not None
        and c.action in _MERMAID_CLASSES
        and c.action is not Action.NO_OP
    ]
    if not moving:
        return ""
    parents = {c.workspace for c in moving}
    nodes: dict[str, tuple[str, Action]] = {}
    for change in plan.changes:
        if _top(change) and change.address in parents:
            nodes[change.address] = (change.address.rsplit("/", 1)[-1], change.action)
    for change in moving:
        if not _top(change):
            nodes[change.address] = (change.address.rsplit("/", 1)[-1], change.action)
    if len(nodes) > MERMAID_MAX_NODES:
        return f"<sub>({len(nodes)} resources change: too many to draw)</sub>\n"
    ids = {address: f"n{i}" for i, address in enumerate(nodes)}
    lines = ["```mermaid", "graph LR"]
    for address, (name, action) in nodes.items():
        lines.append(
            f'  {ids[address]}["{_label(name)}<br/>{action.value}"]:::'
            f"{action.value.replace('-', '_')}"
        )
    for change in moving:
        if not _top(change) and change.workspace in ids:
            lines.append(f"  {ids[change.workspace]} --> {ids[change.address]}")
    used = {action for _, action in nodes.values()}
    lines += [
        f"  classDef {a.value.replace('-', '_')} {style}"
        for a, style in _MERMAID_CLASSES.items()
        if a in used
    ]
    lines.append("```")
    return "\n".join(lines) + "\n"


def _short_name(change: Change) -> str:
    """The resource's name within its group: what follows the group's address (a Playwright
    token's name may itself contain '/'), else the address's last segment."""
    prefix = change.workspace + "/"
    if change.workspace and change.address.startswith(prefix):
        return change.address[len(prefix) :]
    return change.address.rsplit("/", 1)[-1]


def _fit(text: str, parts: list[str], budget: int) -> tuple[str, int]:
    """``text`` followed by each of ``parts`` that fits in ``budget`` characters, and how many
    did not: a pull-request comment over GitHub's limit is refused whole."""
    omitted = 0
    for part in parts:
        if len(text) + len(part) > budget:
            omitted += 1
            continue
        text += part + "\n"
    return text, omitted


_CUT = " … (cut short to stay under the comment limit)"


def _notes(notes: tuple[str, ...], limit: int) -> str:
    """The plan's notes in at most a quarter of ``limit``: they end the comment, and the
    sections' room is what they leave. A note longer than that on its own is cut short (its
    start says what it is about: a plan cut to thousands of ``--target`` values); those that
    do not fit after the others are counted, saying so."""
    room = limit // 4
    head = "**Notes**\n\n"
    lines = []
    for note in notes:
        keep = most = room - len(head) - len(_CUT)
        # Escapes lengthen a line: shortened by the overshoot until it fits, or is empty.
        while len(line := f"- {safe.md_text(note[: max(keep, 0)])}") > most and keep > 0:
            keep -= len(line) - most
        lines.append(line if keep >= len(note) else line + _CUT)
    text, omitted = _fit(head, lines, room)
    if omitted:
        text += (
            f"- {omitted} more note(s) omitted to stay under GitHub's {limit:,}-character "
            "comment limit; see the full plan artifact (`--format json` or text).\n"
        )
    return text


def render_markdown(plan: Plan, *, title: str = "plan", limit: int = GITHUB_COMMENT_LIMIT) -> str:
    head = [f"### azureml-reconciler {title}", "", f"**{summary_line(plan)}**", ""]
    warnings = [
        f"> [!WARNING]\n> {safe.md_code(c.address)}: {safe.md_text(c.reason)}\n"
        for c in plan.changes
        if c.action is Action.REPLACE_REQUIRED
    ]
    sections: list[str] = []
    groups: dict[str, list[Change]] = {}
    for change in plan.changes:
        groups.setdefault(change.workspace or change.kind, []).append(change)
    for group, changes in groups.items():
        rows = ["| resource | action | reason |", "|---|---|---|"]
        rows += [
            f"| {safe.md_code(_short_name(c))} {c.kind} | {ICONS[c.action]} | {_cell(c.reason)} |"
            for c in changes
            if not made_by_service(c)
        ]
        made = Counter(c.kind for c in changes if made_by_service(c))
        rows += [
            f"| {count} {c_kind} | made by Azure | "
            f"{_cell(made_by_service_text('this workspace', c_kind, count))} |"
            for c_kind, count in made.items()
        ]
        details = "".join(_details(c) for c in changes if c.action is not Action.NO_OP)
        sections.append(f"#### {safe.md_code(group)}\n\n" + "\n".join(rows) + "\n\n" + details)
    tail = [_notes(plan.notes, limit)] if plan.notes else []
    tail.append(
        f"<sub>{plan.total_calls} call(s) to Azure · plan digest "
        f"`{plan.manifest_digest[:19]}`</sub>"
    )
    budget = limit - _MARGIN - len("\n".join(tail))
    # The warnings are bounded as the sections are: hundreds of replacements fit no comment.
    text, unwarned = _fit("\n".join(head) + "\n", warnings, budget - _MARGIN)
    if unwarned:
        text += f"> [!WARNING]\n> {unwarned} more replacement warning(s) omitted here\n\n"
    # The graph too (up to 60 nodes of long names) after warnings that filled their room.
    text, undrawn = _fit(text, [graph] if (graph := mermaid(plan)) else [], budget)
    if undrawn:
        text += "<sub>(the graph is left out to stay under the comment limit)</sub>\n"
    text, omitted = _fit(text, sections, budget)
    if omitted:
        text += (
            f"> [!NOTE]\n> {omitted} workspace section(s) omitted to stay under GitHub's "
            f"{limit:,}-character comment limit; see the full plan artifact "
            "(`--format json` or text).\n\n"
        )
    return text + "\n".join(tail) + "\n"
