"""The plan: an immutable value saying what would change, field by field, and why.

Nothing here does I/O or holds a secret: sensitive fields appear only as markers such as
``(sensitive value changed)`` or ``(sensitive: env NAME)``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

FORMAT_VERSION = "1"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    NO_OP = "no-op"
    REPLACE_REQUIRED = "replace-required"
    UNMANAGED = "unmanaged"
    READ = "read"  # an observe-only finding (e.g. a Playwright token) to act on by hand
    DELETE = "delete"  # only with --prune, only what this tool created


# Actions that mean "live differs from what is declared".
CHANGING = frozenset({Action.CREATE, Action.UPDATE, Action.REPLACE_REQUIRED, Action.DELETE})
DRIFT = CHANGING | {Action.READ}


@dataclass(frozen=True)
class FieldDiff:
    path: str
    before: Any
    after: Any
    sensitive: bool = False
    create_only: bool = False


@dataclass(frozen=True)
class Change:
    address: str
    kind: str
    action: Action
    reason: str
    workspace: str = ""  # address of the workspace this resource belongs to (itself for one)
    diffs: tuple[FieldDiff, ...] = ()
    before: Any = None  # live state, redacted
    after: Any = None  # desired state, redacted
    fingerprint: str | None = None  # of the live state the change was computed against
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    calls: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    manifest_digest: str = ""

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    def summary(self) -> dict[str, int]:
        counts = Counter(c.action.value for c in self.changes)
        return {a.value: counts.get(a.value, 0) for a in Action}

    @property
    def has_changes(self) -> bool:
        return any(c.action in CHANGING for c in self.changes)

    @property
    def has_drift(self) -> bool:
        return any(c.action in DRIFT for c in self.changes)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())
