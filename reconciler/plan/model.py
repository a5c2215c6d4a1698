"""The plan: an immutable value saying what would change, field by field, and why.

Nothing here does I/O or holds a secret: sensitive fields appear only as markers such as
``(sensitive value changed)`` or ``(sensitive: env NAME)``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from reconciler.manifest.model import Kind

FORMAT_VERSION = "2"  # 2: every change carries its reason code


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    NO_OP = "no-op"
    REPLACE_REQUIRED = "replace-required"
    UNMANAGED = "unmanaged"
    READ = "read"  # an observe-only finding (e.g. a Playwright token) to act on by hand
    DELETE = "delete"  # --prune: only what this tool created; destroy: only what is declared


class ReasonCode(StrEnum):
    """Why a change or no-op is what it is: a stable code beside the sentence of ``reason``.

    Tests and policies match these, not the prose, which may be reworded. Each value is
    published in the JSON plan (``code``) and its schema; a value is never renamed or reused
    within a format version, only added.
    """

    NOT_FOUND = "not_found"  # create: the resource is not in Azure
    PARENT_CREATED = "parent_created"  # create: its workspace is being created
    FIELDS_DIFFER = "fields_differ"  # update: declared fields differ from live
    SECRET_ROTATED = "secret_rotated"  # update: only secret values differ
    IN_PROGRESS = "in_progress"  # update: provisioning is running; apply waits on it
    LAST_FAILED = "last_failed"  # update: provisioning ended Failed or Canceled; PUT again
    CREATE_ONLY = "create_only"  # replace-required: a create-only field differs
    # replace-required: Azure refuses the change as an update (a managed network loosened)
    REFUSED_BY_SERVICE = "refused_by_service"
    MATCHES_MANIFEST = "matches_manifest"  # no-op
    UNMANAGED = "unmanaged"  # in Azure, not declared, no marker of this tool: left alone
    UNMANAGED_OWNED = "unmanaged_owned"  # ... marked by this configuration: --prune deletes it
    UNMANAGED_OTHER_OWNER = "unmanaged_other_owner"  # ... marked by another configuration
    PRUNED = "pruned"  # delete: undeclared and marked by this configuration (--prune)
    MADE_BY_SERVICE = "made_by_service"  # in Azure, not declared, made by the service: left alone
    ACCOUNT_NOT_FOUND = "account_not_found"  # read: the Playwright account does not exist
    TOKEN_MISSING = "token_missing"  # read: a required token does not exist
    TOKEN_EXPIRED = "token_expired"  # read: a required token expired or is not Active
    TOKEN_EXPIRING = "token_expiring"  # read: a required token expires within the window
    TOKEN_UNLISTED = "token_unlisted"  # read: a token not listed while unlisted are disallowed
    TOKENS_VALID = "tokens_valid"  # no-op: every required token is Active beyond the window
    # destroy: what a manifest set declares, removed children first
    DESTROYED = "destroyed"  # delete: declared and in Azure; destroy deletes it
    DESTROYED_SOFT = "destroyed_soft"  # delete: a workspace, soft-deleted: its name stays taken
    DESTROYED_PURGED = "destroyed_purged"  # delete: a workspace, purged (--purge): name free
    ALREADY_ABSENT = "already_absent"  # no-op: declared, not in Azure: nothing to delete
    WORKSPACE_KEPT = "workspace_kept"  # no-op: a declared workspace, without --include-workspaces
    OWNED_ELSEWHERE = "owned_elsewhere"  # no-op: declared, but marked by another configuration


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


@dataclass(frozen=True, kw_only=True)
class Change:
    """One resource's verdict. Keyword-only: eleven fields, several of the same type."""

    address: str
    kind: Kind
    action: Action
    code: ReasonCode
    reason: str  # the sentence for people; ``code`` is what machines match
    workspace: str = ""  # address of the workspace this resource belongs to (itself for one)
    diffs: tuple[FieldDiff, ...] = ()
    before: Any = None  # live state, redacted
    after: Any = None  # desired state, redacted
    fingerprint: str | None = None  # of the live state the change was computed against
    warnings: tuple[str, ...] = ()
    # The api-version the resource's document is written for, when not its kind's default.
    api_version: str = ""


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    # Read calls made, by kind; stored as a read-only view sorted by kind (see __post_init__).
    calls: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    manifest_digest: str = ""
    # The --target values the plan was cut to: a saved plan carries them, so that applying it
    # plans the same slice (as Terraform's saved plans carry theirs).
    targets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A frozen value must not share a mutable dict with whoever built it.
        frozen = MappingProxyType(dict(sorted(self.calls.items())))
        object.__setattr__(self, "calls", frozen)

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
