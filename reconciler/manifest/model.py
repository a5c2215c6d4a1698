"""What a set of manifests declares, as immutable values.

``spec`` of a resource is the ARM request body exactly as written (after
environment substitution and defaults), with secrets still as references: nothing here holds a
secret value. Addresses compare case-insensitively, as ARM names do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NewType

# A document's ``kind``. Open: each resource kind names its own in its module
# (reconciler.kinds), so a new kind adds no member here; the manifest layer names only the
# documents it reads itself.
Kind = NewType("Kind", str)
DEFAULTS = Kind("Defaults")
PLAYWRIGHT_ACCESS_TOKENS = Kind("PlaywrightAccessTokens")


@dataclass(frozen=True, slots=True)
class Address:
    """Where a resource lives. ``workspace`` is empty for a Workspace itself.

    Its :attr:`key` and text are made with it and kept in slots: a plan looks up, sorts, files
    and names every resource by them ~10 times each. (Kept by ``cached_property`` in each
    instance's ``__dict__`` they cost 13 MiB more at the peak of a 10,000-resource plan: a
    dict per address, grown past its shared keys, and four lowered copies of names that were
    lower case already.) So is its parent's address, once asked for: reading, deciding and
    rendering a connection ask for its workspace's five times (~5 µs each to make).
    """

    kind: Kind
    subscription: str
    resource_group: str
    name: str
    workspace: str = ""
    # Identity for comparison: ARM names and IDs are case-insensitive.
    key: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _text: str = field(init=False, repr=False, compare=False)
    _up: Address | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = (
            self.kind,
            _folded(self.subscription),
            _folded(self.resource_group),
            _folded(self.workspace),
            _folded(self.name),
        )
        parts = [self.kind, self.subscription, self.resource_group]
        if self.workspace:
            parts.append(self.workspace)
        parts.append(self.name)
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "_text", "/".join(p for p in parts if p))

    def __str__(self) -> str:
        return self._text

    def parent(self, kind: Kind) -> Address:
        """The address of the resource this one lives in (``workspace`` names it), of ``kind``."""
        up = self._up
        if up is None or up.kind != kind:
            up = Address(kind, self.subscription, self.resource_group, self.workspace)
            object.__setattr__(self, "_up", up)
        return up


def _folded(text: str) -> str:
    """``text`` in lower case: the same string when it already is (no copy kept)."""
    lowered = text.lower()
    return text if lowered == text else lowered


@dataclass(frozen=True)
class Source:
    file: Path
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class ResourceManifest:
    """A declared ARM resource of any kind in reconciler.kinds.KINDS."""

    address: Address
    spec: dict[str, Any]
    source: Source
    labels: dict[str, str] = field(default_factory=dict)
    # The ARM api-version it is written for (metadata.apiVersion, or its Defaults'
    # apiVersions); empty: its kind's default.
    api_version: str = ""
    outputs: tuple[str, ...] = ()  # fields of the applied resource apply prints
    # Fields to fill with the ARM id of another resource these manifests declare, as
    # (dotted path in spec, its address): a Project's metadata.hub is its hubResourceId.
    refs: tuple[tuple[str, Address], ...] = ()


@dataclass(frozen=True)
class PlaywrightAudit:
    """An observe-only check of a Playwright Testing account's access tokens."""

    name: str
    endpoint: str
    account_id: str
    required_tokens: tuple[str, ...]
    warn_before_expiry_days: int
    allow_unlisted_tokens: bool
    source: Source


@dataclass(frozen=True)
class ManifestSet:
    resources: tuple[ResourceManifest, ...] = ()  # every declared ARM resource, of any kind
    playwright: tuple[PlaywrightAudit, ...] = ()
    # Who this configuration is, for the ownership marker and --prune (reconciler.plan.ownership).
    owner: str = ""

    def of(self, kind: Kind) -> tuple[ResourceManifest, ...]:
        """The declared resources of one kind, in the order declared."""
        return tuple(m for m in self.resources if m.address.kind == kind)

    @property
    def count(self) -> int:
        return len(self.resources) + len(self.playwright)
