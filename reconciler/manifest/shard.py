"""Split the declared resources into COUNT shards, deterministically, for CI matrices.

A workspace and its connections always land in the same shard (the key is subscription and
workspace), so each shard plans and applies a self-contained set, under its own share of ARM's
throttling budget. The split depends only on names, never on order or on the machine.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from reconciler.errors import UsageError
from reconciler.manifest.model import Address, ManifestSet

_SPEC = re.compile(r"^(\d+)/(\d+)$")


def parse(text: str) -> tuple[int, int]:
    """``INDEX/COUNT`` with 1 <= INDEX <= COUNT."""
    match = _SPEC.match(text.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise UsageError(f"--shard expects INDEX/COUNT with 1 <= INDEX <= COUNT, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _bucket(key: str, count: int) -> int:
    digest = hashlib.sha256(key.lower().encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select(manifests: ManifestSet, index: int, count: int) -> ManifestSet:
    # A Project goes with the Hub it names: apply writes the hub first, so a shard holding the
    # project alone failed on a new estate ("Hub workspace ... not found") or raced the hub's.
    hub_of = {
        (m.address.subscription.lower(), m.address.name.lower()): ref.name
        for m in manifests.resources
        if not m.address.workspace
        for _, ref in m.refs
    }

    def mine(address: Address) -> bool:
        # A resource's top-level ancestor (the workspace it lives in, or that one's hub).
        top = address.workspace or address.name
        top = hub_of.get((address.subscription.lower(), top.lower()), top)
        return _bucket(f"{address.subscription}/{top}", count) == index

    # The same configuration (its owner) with a share of what it declares.
    return replace(
        manifests,
        resources=tuple(m for m in manifests.resources if mine(m.address)),
        playwright=tuple(
            p for p in manifests.playwright if _bucket(f"playwright/{p.name}", count) == index
        ),
    )
