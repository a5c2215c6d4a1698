"""What the reader found in Azure: plain data handed from the reader to the planner.

Kept apart from :mod:`reconciler.live` (which does the I/O) so that the planner depends on
the shape of live state, never on the HTTP client that fetched it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, ...]


@dataclass
class LiveState:
    workspaces: dict[Key, dict[str, Any] | None] = field(default_factory=dict)
    connections: dict[Key, dict[str, dict[str, Any]]] = field(default_factory=dict)
    credentials: dict[Key, dict[str, Any] | None] = field(default_factory=dict)
    missing_resource_groups: set[tuple[str, str]] = field(default_factory=set)
    secrets_note: str | None = None
    calls: dict[str, int] = field(default_factory=dict)
