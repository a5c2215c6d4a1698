"""The published schema of the JSON plan (``schemas/plan.schema.json``), version 1.

Machines rely on it: fields are only ever added within a version; a breaking change bumps
``format_version``. Written out by the schema generator with the other schemas.
"""

from __future__ import annotations

from typing import Any

from reconciler import kinds
from reconciler.manifest.model import Kind
from reconciler.plan.model import FORMAT_VERSION, Action


def plan_schema() -> dict[str, Any]:
    actions = [a.value for a in Action]
    kind_names = [k.kind.value for k in kinds.KINDS] + [Kind.PLAYWRIGHT_ACCESS_TOKENS.value]
    anything: dict[str, Any] = {}
    return {
        "title": "azureml-reconciler plan (JSON output of plan and drift)",
        "type": "object",
        "required": [
            "format_version",
            "tool",
            "command",
            "summary",
            "has_changes",
            "has_drift",
            "calls",
            "notes",
            "manifest_digest",
            "changes",
        ],
        "additionalProperties": False,
        "properties": {
            "format_version": {"const": FORMAT_VERSION},
            "tool": {
                "type": "object",
                "required": ["name", "version"],
                "properties": {
                    "name": {"const": "azureml-reconciler"},
                    "version": {"type": "string"},
                },
                "additionalProperties": False,
            },
            "command": {"enum": ["plan", "drift"]},
            "summary": {
                "type": "object",
                "required": actions,
                "properties": {a: {"type": "integer", "minimum": 0} for a in actions},
                "additionalProperties": False,
            },
            "has_changes": {
                "type": "boolean",
                "description": "Something would be created, updated or replaced.",
            },
            "has_drift": {
                "type": "boolean",
                "description": "has_changes, or an observe-only finding (read).",
            },
            "calls": {
                "type": "object",
                "required": ["total", "by_kind"],
                "properties": {
                    "total": {"type": "integer", "minimum": 0},
                    "by_kind": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 0},
                    },
                },
                "additionalProperties": False,
            },
            "notes": {"type": "array", "items": {"type": "string"}},
            "manifest_digest": {"type": "string"},
            "changes": {"type": "array", "items": {"$ref": "#/$defs/Change"}},
            "secret_check": {
                "description": "Saved plans only: a salted scrypt stamp per connection of the "
                "secret values the plan read, so that apply --plan can refuse values that "
                "changed since; never the values (see reconciler/apply/secretcheck.py).",
                "type": "object",
                "required": ["scheme", "n", "r", "p", "nonce", "connections"],
                "properties": {
                    "scheme": {"const": "scrypt"},
                    "n": {"type": "integer"},
                    "r": {"type": "integer"},
                    "p": {"type": "integer"},
                    "nonce": {"type": "string"},
                    "connections": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                "additionalProperties": False,
            },
        },
        "$defs": {
            "Change": {
                "type": "object",
                "required": [
                    "address",
                    "kind",
                    "action",
                    "reason",
                    "workspace",
                    "field_diffs",
                    "warnings",
                    "fingerprint",
                    "before",
                    "after",
                ],
                "additionalProperties": False,
                "properties": {
                    "address": {
                        "type": "string",
                        "description": "Kind/subscription/resourceGroup[/workspace]/name",
                    },
                    "kind": {"enum": kind_names},
                    "action": {"enum": actions},
                    "reason": {"type": "string"},
                    "workspace": {"type": "string"},
                    "field_diffs": {"type": "array", "items": {"$ref": "#/$defs/FieldDiff"}},
                    "warnings": {"type": "array", "items": {"type": "string"}},
                    "fingerprint": {"type": ["string", "null"]},
                    "before": anything,
                    "after": anything,
                },
            },
            "FieldDiff": {
                "type": "object",
                "required": ["path", "before", "after", "sensitive", "create_only"],
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string"},
                    "before": anything,
                    "after": anything,
                    "sensitive": {"type": "boolean"},
                    "create_only": {"type": "boolean"},
                },
            },
        },
    }
