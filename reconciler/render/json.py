"""The plan as JSON for machines, shaped by ``schemas/plan.schema.json`` (versioned)."""

from __future__ import annotations

from typing import Any

from reconciler import __version__
from reconciler.plan.model import FORMAT_VERSION, Change, Plan
from reconciler.render import jsontext, safe


def field_diffs(change: Change) -> list[dict[str, Any]]:
    """The change's field diffs as the JSON plan (and a saved plan) holds them."""
    return [
        {
            "path": d.path,
            "before": d.before,
            "after": d.after,
            "sensitive": d.sensitive,
            "create_only": d.create_only,
        }
        for d in change.diffs
    ]


def _change(change: Change) -> dict[str, Any]:
    out = {
        "address": change.address,
        "kind": change.kind,
        "action": change.action.value,
        "code": change.code.value,
        "reason": change.reason,
        "workspace": change.workspace,
        "field_diffs": field_diffs(change),
        "warnings": list(change.warnings),
        "fingerprint": change.fingerprint,
        "before": change.before,
        "after": change.after,
    }
    if change.api_version:  # only a document written for another than the default names one
        out["api_version"] = change.api_version
    return out


def plan_document(plan: Plan, command: str = "plan") -> dict[str, Any]:
    targets = {"targets": list(plan.targets)} if plan.targets else {}
    return {
        "format_version": FORMAT_VERSION,
        "tool": {"name": "azureml-reconciler", "version": __version__},
        "command": command,
        "summary": plan.summary(),
        "has_changes": plan.has_changes,
        "has_drift": plan.has_drift,
        "calls": {"total": plan.total_calls, "by_kind": dict(plan.calls)},
        "notes": list(plan.notes),
        "manifest_digest": plan.manifest_digest,
        **targets,
        "changes": [_change(c) for c in plan.changes],
    }


def render_json(plan: Plan, command: str = "plan") -> str:
    text = jsontext.dumps(plan_document(plan, command))  # json.dumps(indent=2), faster
    return safe.json_text(text) + "\n"


def render_saved(plan: Plan, command: str, secret_check: Any) -> str:
    """The file ``--out`` writes when it carries a secret stamp: the JSON plan's data and the
    stamp, as ``json.dumps(indent=2, ensure_ascii=False)`` writes them (a file read back by
    apply, not a log: no escapes beyond JSON's own, and those only for lone surrogates, which
    UTF-8 cannot carry), from the plan, not from its rendering."""
    saved = jsontext.dumps({**plan_document(plan, command), "secret_check": secret_check})
    return safe.json_writable(saved) + "\n"
