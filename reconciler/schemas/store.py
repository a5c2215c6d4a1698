"""Locate and load the generated schemas, whether installed or run from a checkout.

An installed wheel carries them as ``reconciler/_schemas``; a source checkout (editable
install) reads the top-level ``schemas/`` directly, so a regeneration is seen at once.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parents[1]


def schemas_dir() -> Path:
    bundled = _PACKAGE / "_schemas"
    if bundled.is_dir():
        return bundled
    return _PACKAGE.parent / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schemas_dir() / name).read_text(encoding="utf-8"))
    return data
