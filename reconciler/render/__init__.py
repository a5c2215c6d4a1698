"""Renderers: functions from a :class:`~reconciler.plan.model.Plan` to text, JSON or Markdown.

They are chosen in one place (:func:`render`) and never compute anything about the plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports FORMATS at start-up; the plan types can wait
    from reconciler.plan.model import Plan

FORMATS = ("text", "json", "markdown")


def render(plan: Plan, fmt: str, *, color: bool = False, title: str = "plan") -> str:
    if fmt == "json":
        from reconciler.render.json import render_json

        return render_json(plan)
    if fmt == "markdown":
        from reconciler.render.markdown import render_markdown

        return render_markdown(plan, title=title)
    from reconciler.render.text import render_text

    return render_text(plan, color=color, title=title)
