"""The published schema of the JSON plan (``schemas/plan.schema.json``), format version 2.

Machines rely on it: fields are only ever added within a version; a breaking change bumps
``format_version`` (2 added each change's reason ``code``). Written out by the schema
generator with the other schemas. Each part of the document is one small function returning
its piece of the schema, as data.
"""

from __future__ import annotations

from typing import Any

from reconciler import kinds
from reconciler.manifest.model import PLAYWRIGHT_ACCESS_TOKENS
from reconciler.plan.model import FORMAT_VERSION, Action, ReasonCode

ANYTHING: dict[str, Any] = {}
COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}

# The kinds a change can be of (Defaults is configuration, never a change).
CHANGE_KINDS = [k.kind for k in kinds.KINDS] + [PLAYWRIGHT_ACCESS_TOKENS]


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A closed object: every property named, all required unless told otherwise."""
    return {
        "type": "object",
        "required": list(properties) if required is None else required,
        "properties": properties,
        "additionalProperties": False,
    }


def _summary() -> dict[str, Any]:
    return _object({a.value: COUNT for a in Action})


def _calls() -> dict[str, Any]:
    return _object({"total": COUNT, "by_kind": {"type": "object", "additionalProperties": COUNT}})


def _secret_check() -> dict[str, Any]:
    return {
        "description": "Saved plans only: a salted scrypt stamp per connection of the "
        "secret values the plan read, so that apply --plan can refuse values that "
        "changed since; never the values (see reconciler/apply/secretcheck.py).",
        **_object(
            {
                "scheme": {"const": "scrypt"},
                "n": {"type": "integer"},
                "r": {"type": "integer"},
                "p": {"type": "integer"},
                "nonce": {"type": "string"},
                "connections": {"type": "object", "additionalProperties": {"type": "string"}},
            }
        ),
    }


def _change() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "address": {
            "type": "string",
            "description": "Kind/subscription/resourceGroup[/workspace]/name",
        },
        "kind": {"enum": CHANGE_KINDS},
        "action": {"enum": [a.value for a in Action]},
        "code": {
            "enum": [c.value for c in ReasonCode],
            "description": "Why, as a stable code to match (reason says it in words).",
        },
        "reason": {"type": "string"},
        "workspace": {"type": "string"},
        "field_diffs": {"type": "array", "items": {"$ref": "#/$defs/FieldDiff"}},
        "warnings": STRINGS,
        "fingerprint": {"type": ["string", "null"]},
        "before": ANYTHING,
        "after": ANYTHING,
        "api_version": {
            "type": "string",
            "description": "The ARM api-version the resource's manifest is written for; "
            "absent: its kind's default.",
        },
    }
    return _object(properties, required=[p for p in properties if p != "api_version"])


def _field_diff() -> dict[str, Any]:
    return _object(
        {
            "path": {"type": "string"},
            "before": ANYTHING,
            "after": ANYTHING,
            "sensitive": {"type": "boolean"},
            "create_only": {"type": "boolean"},
        }
    )


def plan_schema() -> dict[str, Any]:
    document = _object(
        {
            "format_version": {"const": FORMAT_VERSION},
            "tool": _object(
                {"name": {"const": "azureml-reconciler"}, "version": {"type": "string"}}
            ),
            "command": {"enum": ["plan", "drift", "destroy"]},
            "summary": _summary(),
            "has_changes": {
                "type": "boolean",
                "description": "Something would be created, updated or replaced.",
            },
            "has_drift": {
                "type": "boolean",
                "description": "has_changes, or an observe-only finding (read).",
            },
            "calls": _calls(),
            "notes": STRINGS,
            "manifest_digest": {"type": "string"},
            "targets": {
                **STRINGS,
                "description": "The --target values the plan was cut to (absent: none). "
                "apply --plan plans the same slice.",
            },
            "changes": {"type": "array", "items": {"$ref": "#/$defs/Change"}},
            "secret_check": _secret_check(),
        },
        required=[
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
    )
    return {
        "title": "azureml-reconciler plan (JSON output of plan, drift and destroy)",
        **document,
        "$defs": {"Change": _change(), "FieldDiff": _field_diff()},
    }
