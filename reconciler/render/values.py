"""How values look in human-readable output: short, one line, JSON-like."""

from __future__ import annotations

import json
from typing import Any


def show(value: Any, limit: int = 240) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, str) and value.startswith("(sensitive"):
        return value
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def flatten(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Leaf paths of a nested value, for listing what a create would send."""
    if isinstance(value, dict) and value:
        out: list[tuple[str, Any]] = []
        for key, item in value.items():
            out += flatten(item, f"{path}.{key}" if path else str(key))
        return out
    return [(path, value)]
