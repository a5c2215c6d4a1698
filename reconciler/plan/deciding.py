"""Deciding while reading goes on: each declared resource is decided as soon as what its
decision depends on is read, not after every read of the estate.

A declared resource's decision depends on its own live body, its parent's decision, whether
its resource group exists (read before anything in it) and, for a resource holding secret
references compared against ``listsecrets``, its stored credentials (read after all the
rest). So the resources under a top-level one are decided when the reader says that it and
everything in it are read (:func:`reconciler.read.live.read`'s ``settled``), parents first;
those whose secrets are compared wait for :func:`reconciler.plan.planner.plan`, which
decides whatever was not decided here, exactly as it would have, and everything that needs
the whole estate (undeclared resources, prune, notes, order). The plan is the same whatever
order the answers come in (``tests/plan/test_read_pipeline.py``).
"""

from __future__ import annotations

from reconciler import kinds
from reconciler.manifest import secrets
from reconciler.manifest.model import Address, ManifestSet, ResourceManifest
from reconciler.plan.model import Change
from reconciler.plan.planner import Context, Options, decide
from reconciler.read.livestate import Key, LiveState


def _top(address: Address) -> Address:
    kind = kinds.of(address.kind)
    while kind.parent is not None:
        address = kind.parent_address(address)
        kind = kinds.of(address.kind)
    return address


class Deciding:
    """The decisions made so far (``made``, by address key), and what each top-level
    resource's arrival lets decide."""

    def __init__(self, manifests: ManifestSet, options: Options) -> None:
        # No secret values: only resources whose secrets are not compared are decided here.
        self._ctx = Context(options, {}, manifests.owner, {})
        self.made: dict[Key, Change] = {}
        order = {k.kind: i for i, k in enumerate(kinds.KINDS)}
        self._under: dict[Key, list[ResourceManifest]] = {}
        for m in sorted(manifests.resources, key=lambda m: (order[m.address.kind], m.address.key)):
            if not self._needs_credentials(m):
                self._under.setdefault(_top(m.address).key, []).append(m)

    def _needs_credentials(self, m: ResourceManifest) -> bool:
        return (
            self._ctx.options.compare_secrets
            and kinds.of(m.address.kind).secrets_action is not None
            and secrets.has_refs(m.spec)
        )

    def settled(self, live: LiveState, top: Address) -> None:
        """``top`` and everything declared in it are read: decide them, parents first."""
        for m in self._under.pop(top.key, ()):
            kind = kinds.of(m.address.kind)
            if kind.parent is not None and kind.parent_address(m.address).key not in self.made:
                continue  # its parent waits for the plan; so does it
            try:
                change = decide(kind, m, live, self._ctx)
            except Exception:
                # Decided again after every read, by the plan: an error is then raised where
                # it always was, after the errors of reading.
                return
            self._ctx.actions[m.address.key] = change.action
            self.made[m.address.key] = change
