"""Apply a plan: write only what changed, parents before their children, in parallel.

One loop for every kind in :data:`reconciler.kinds.KINDS`; what differs between kinds (paths,
api-versions, long-running operations, marking, secrets) is declared by the kind.

* No PUT for a no-op resource: peers that write on every run hit ARM's write limits.
* A workspace's connections wait for it; if it fails they are skipped (with the reason)
  while unrelated workspaces go on. A workspace that names another one the run writes (a
  Project's hub, ``ResourceKind.id_references``) waits for its write to end; if that one
  fails, it is skipped too (unchanged when it had nothing to write).
* What a resource inherits (a Project's key vault, network … are its hub's) is never sent.
* Replace-required changes are refused unless ``allow_replace`` (then: delete, recreate).
* Secrets are resolved from their references here, right before the PUT that needs them,
  and exist only in that request body.
* 409 AnotherOperationInProgress waits and retries. A workspace the plan found still being
  provisioned is waited on before anything else; if it ends Failed it is reported failed and
  its connections are skipped (never "unchanged").
* An update that would lose what it cannot send back (fields the api-version does not define,
  a connection's credentials the manifest does not declare) is refused, as the plan said.
* No PUT body carries a null.
* A write Azure may have taken but whose end is not known (no answer came, or one that cannot
  be read) fails saying it may still run, or (a connection's) have been applied, in Azure: rerun.
* ARM is the state: nothing is written locally, so a crash or Ctrl-C loses nothing and the
  next plan shows what remains. Operations in flight are tracked to be reported on Ctrl-C.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler import kinds
from reconciler.apply import conflict, deletion
from reconciler.apply.body import refusal, update_body
from reconciler.apply.budget import Budget
from reconciler.apply.listpoll import ListPoller
from reconciler.apply.lro import Outcome, follow
from reconciler.apply.wording import explained, scrub, secret_values
from reconciler.arm.bodies import where
from reconciler.arm.client import ArmClient
from reconciler.errors import ReconcilerError, TransportError, UnreadableAnswer
from reconciler.kinds import ResourceKind
from reconciler.manifest import secrets
from reconciler.manifest.model import ManifestSet, ResourceManifest
from reconciler.plan import ownership
from reconciler.plan.model import Action, Change, Plan
from reconciler.plan.planner import in_progress, provisioning_state
from reconciler.read.livestate import without_nulls


class Result(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    REPLACED = "replaced"  # deleted and recreated (--allow-replace)
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Event:
    address: str
    status: str  # "started", a provisioningState, or a Result value
    detail: str = ""


@dataclass
class ApplyReport:
    results: dict[str, tuple[Result, str]] = field(default_factory=dict)
    in_flight: dict[str, str] = field(default_factory=dict)  # address -> operation URL
    resources: dict[str, Any] = field(default_factory=dict)  # address -> body after apply

    def count(self, result: Result) -> int:
        return sum(1 for r, _ in self.results.values() if r is result)

    @property
    def ok(self) -> bool:
        return not any(r in (Result.FAILED, Result.SKIPPED) for r, _ in self.results.values())


@dataclass(frozen=True)
class ApplyOptions:
    allow_replace: bool = False
    timeout: float = 3600.0  # per resource, seconds
    deadline: float | None = None  # for the whole apply, seconds
    strict: bool = False  # send the manifest as the whole body (else: laid over live)


Notify = Callable[[Event], None]


class Applier:
    def __init__(
        self,
        client: ArmClient,
        manifests: ManifestSet,
        env: Mapping[str, str],
        *,
        options: ApplyOptions | None = None,
        notify: Notify | None = None,
    ) -> None:
        self.client = client
        self.env = env
        self.options = options or ApplyOptions()
        self.notify = notify or (lambda event: None)
        self.report = ApplyReport()
        # References to other declared resources filled in, as the plan compared them.
        self.manifests = {str(m.address): kinds.resolve(m) for m in manifests.resources}
        self.owner = manifests.owner
        self.marker = ownership.marker(manifests.owner)  # written into what apply creates
        self._budget = Budget(client.clock, self.options.timeout, self.options.deadline)
        # Resources being provisioned are polled together: one list per collection and
        # api-version (the workspaces of a resource group), for the kinds that allow it.
        self._pollers: dict[str, ListPoller] = {}
        # Per top-level resource of the plan: whether its own write went well, once it ended.
        self._written: dict[str, asyncio.Future[bool]] = {}
        self._replacing: set[str] = set()
        self._unsure: dict[str, str] = {}  # synchronous PUTs sent, not answered yet: what

    def _poller(self, kind: ResourceKind) -> ListPoller | None:
        if not kind.polled_by_list:
            return None
        key = kind.api_version
        if key not in self._pollers:
            self._pollers[key] = ListPoller(self.client, kind.api_version)
        return self._pollers[key]

    async def apply(self, plan: Plan) -> ApplyReport:
        self._budget.start()
        # Every wait the client makes from here on (retries, pacing, conflicts) ends in time.
        self.client.set_deadline(self.options.deadline)
        trees: dict[str, list[Change]] = {}
        for change in plan.changes:
            if kinds.get(change.kind) is not None:
                trees.setdefault(change.workspace, []).append(change)
        loop = asyncio.get_running_loop()
        self._written = {top: loop.create_future() for top in trees}
        # A failed replacement may have deleted its resource: what names it is not unchanged.
        self._replacing = {t for t, c in trees.items() if self._replaces(_own(c))}
        after = self._dependencies(trees)
        await asyncio.gather(
            *(self._tree(top, changes, after.get(top, ())) for top, changes in trees.items())
        )
        return self.report

    def _dependencies(self, trees: dict[str, list[Change]]) -> dict[str, tuple[str, ...]]:
        """The top-level resources of the plan each one waits for: those whose ARM id its
        manifest holds at one of its kind's ``id_references`` (never a cycle)."""
        tops = {top: _own(changes) for top, changes in trees.items()}
        ids = {}
        for top, own in tops.items():
            if own is not None:
                kind = kinds.of(own.kind)
                ids[kind.path(deletion.address_of(kind, own.address)).lower()] = top
        after: dict[str, tuple[str, ...]] = {}
        for top, own in tops.items():
            manifest = self.manifests.get(own.address) if own is not None else None
            if own is None or manifest is None:
                continue
            named = (_at(manifest.spec, p) for p in kinds.of(own.kind).id_references)
            found = (ids.get(v.lower()) for v in named if isinstance(v, str))
            after[top] = tuple(
                dict.fromkeys(d for d in found if d and d != top and not _reaches(after, d, top))
            )
        return after

    async def _others_written(self, after: tuple[str, ...], changes: list[Change]) -> bool:
        """Wait for the resources named (a Project's hub); if one was not written, the
        ``changes`` waiting for it are skipped, with the reason (a no-op stays unchanged)."""
        for other in after:
            if not await self._written[other]:
                untouched = other not in self._replacing
                for change in changes:
                    if untouched and change.action is Action.NO_OP:  # nothing of it to write
                        self._done(change, Result.UNCHANGED)
                    else:
                        self._done(
                            change, Result.SKIPPED, f"{other}, which it names, was not applied"
                        )
                return False
        return True

    def _replaces(self, own: Change | None) -> bool:
        return bool(own and own.action is Action.REPLACE_REQUIRED and self.options.allow_replace)

    def _done(self, change: Change, result: Result, detail: str = "") -> None:
        self.report.results[change.address] = (result, detail)
        self.report.in_flight.pop(change.address, None)
        self.notify(Event(change.address, result.value, detail))

    async def _tree(self, top: str, changes: list[Change], after: tuple[str, ...]) -> None:
        """A top-level resource first (once those it names are written), then what lives in
        it, unless it failed."""
        own = _own(changes)
        rest = [
            c for c in changes if c is not own and c.action not in (Action.UNMANAGED, Action.READ)
        ]
        ok = False
        try:
            if not await self._others_written(after, [c for c in (own, *rest) if c]):
                return
            ok = own is None or await self._resource(own)
        finally:
            if not self._written[top].done():
                self._written[top].set_result(ok)
        if not ok:
            # Unless a replacement may have deleted the parent, what matched still matches.
            untouched = not self._replaces(own)
            for change in rest:
                if untouched and change.action is Action.NO_OP:
                    self._done(change, Result.UNCHANGED)
                else:
                    parent = kinds.of(change.kind).parent
                    noun = parent.noun if parent is not None else "parent"
                    self._done(change, Result.SKIPPED, f"its {noun} {top} was not applied")
            return
        # A replaced parent comes back empty: what lives in it must be written again.
        recreated = own is not None and own.action is Action.REPLACE_REQUIRED
        # A kind whose writes in one parent must not overlap is written one at a time.
        serial = [c for c in rest if kinds.of(c.kind).one_write_at_a_time]

        async def one_by_one() -> None:
            for change in serial:
                await self._resource(change, force=recreated)

        await asyncio.gather(
            one_by_one(),
            *(self._resource(c, force=recreated) for c in rest if c not in serial),
        )

    async def _resource(self, change: Change, *, force: bool = False) -> bool:
        """Apply one change; True when what depends on it may go on."""
        kind = kinds.of(change.kind)
        if change.action is Action.NO_OP and not force:
            self._done(change, Result.UNCHANGED)
            return True
        if change.action is Action.DELETE:
            await self._delete(kind, change)
            return True
        if change.action is Action.REPLACE_REQUIRED and not self.options.allow_replace:
            self._done(
                change, Result.SKIPPED, f"{change.reason} — not done without --allow-replace"
            )
            return False
        manifest = self.manifests[change.address]
        kind = kind.at(manifest.api_version)  # written at the version its document is for
        # Under a replaced parent, whatever the plan said, the resource is written anew.
        parent = kind.parent.noun if kind.parent is not None else "parent"
        doing = f"create (its {parent} was replaced)" if force else change.action.value
        self.notify(Event(change.address, "started", doing))
        body: Any = None  # not built yet when a secret fails to resolve
        try:
            body = self._body(kind, manifest, change, force=force)
            return await self._write(kind, manifest, change, body, force=force)
        except ReconcilerError as error:
            # A service may quote the request back in its error: never let a secret through.
            detail = scrub(str(error), secret_values(manifest.spec, body))
            running = self.report.in_flight.get(change.address)
            unsure = self._unsure.get(change.address)
            # No word of how it ended: no answer, or one that could not be read (Azure may
            # have taken the write all the same; saying so when it did not costs a rerun).
            if running and isinstance(error, TransportError | UnreadableAnswer):
                detail += f"; it may still be running in Azure ({running}): rerun to converge"
            elif unsure and isinstance(error, TransportError | UnreadableAnswer):
                detail += f"; it may have been applied in Azure ({unsure}): rerun to converge"
            self._done(change, Result.FAILED, explained(kind, manifest.address.name, error, detail))
            return False

    def _body(
        self, kind: ResourceKind, manifest: ResourceManifest, change: Change, *, force: bool
    ) -> Any:
        """The declared body, secrets resolved and marked as this configuration's own."""
        body = manifest.spec
        if kind.secrets_action is not None:
            body = secrets.resolve(body, self.env, manifest.source.file.parent)
        before = change.before if isinstance(change.before, dict) else {}
        had_marker = ownership.by_this_tool(ownership.marker_of(before))
        if kind.mark is not None and (change.action is Action.CREATE or had_marker or force):
            body = kind.mark(body, self.marker)
        return body

    def _refused(
        self, kind: ResourceKind, manifest: ResourceManifest, body: Any, before: Any
    ) -> str | None:
        """Why an update must not be sent (it would take over or lose something), or None."""
        if kind.mark is not None:
            foreign = ownership.foreign_marker(
                before if isinstance(before, dict) else {}, self.owner
            )
            if foreign:
                return ownership.foreign_reason(foreign, self.owner)
        return refusal(
            body,
            before,
            kind.schema(),
            strict=self.options.strict,
            api_version=kind.api_version,
            connection=manifest.address.name if kind.secrets_action else None,
        )

    async def _write(
        self,
        kind: ResourceKind,
        manifest: ResourceManifest,
        change: Change,
        body: Any,
        *,
        force: bool,
    ) -> bool:
        before = change.before
        state = provisioning_state(before) if kind.long_running else None
        if in_progress(state):
            outcome = await self._wait(kind, manifest, change)
            before = outcome.body if outcome.body is not None else before
            if not change.diffs:
                self._done(change, Result.UNCHANGED, f"provisioning went from {state} to Succeeded")
                return True
        if change.action is Action.UPDATE and not force:
            refused = self._refused(kind, manifest, body, before)
            if refused:
                self._done(change, Result.SKIPPED, refused)
                return False
            body = update_body(
                body,
                before,
                kind.schema(),
                strict=self.options.strict,
                carried=kind.managed_elsewhere,
            )
        if change.action is Action.REPLACE_REQUIRED:
            await self._delete_for_replace(kind, change, before)
        # Never sent back: what it inherits (Azure refuses a Project's key vault, network …).
        body = kind.without_inherited(body, before)
        await self._put_resource(kind, manifest, change, body)
        if force or change.action is Action.CREATE:
            self._done(change, Result.CREATED)
        elif change.action is Action.REPLACE_REQUIRED:
            self._done(change, Result.REPLACED)
        else:
            self._done(change, Result.UPDATED)
        return True

    async def _put(self, url: str, body: Any, api_version: str, kind: str) -> Any:
        """PUT, waiting out 409 AnotherOperationInProgress (:mod:`reconciler.apply.conflict`)."""
        return await conflict.send(
            self.client,
            "PUT",
            url,
            params={"api-version": api_version},
            json=without_nulls(body),
            kind=kind,
        )

    async def _wait(
        self, kind: ResourceKind, manifest: ResourceManifest, change: Change
    ) -> Outcome:
        """Follow the operation the plan found running, by the resource's provisioningState."""
        url = kind.path(manifest.address)
        self.report.in_flight[change.address] = f"provisioning, polling {url}"
        now = await self.client.request(
            "GET", url, params={"api-version": kind.api_version}, kind="operation.poll"
        )
        found = provisioning_state(change.before)
        return await follow(
            self.client,
            now,
            url,
            kind.api_version,
            what=f"{kind.noun} {manifest.address.name} (found {found})",
            timeout=self._budget.left(),
            progress=lambda state: self.notify(Event(change.address, state)),
            poller=self._poller(kind),
        )

    async def _put_resource(
        self, kind: ResourceKind, manifest: ResourceManifest, change: Change, body: Any
    ) -> None:
        url = kind.path(manifest.address)
        # Until Azure answers, all that is known is that a PUT went out: a long-running one
        # runs on in Azure (named on Ctrl-C too); a synchronous one may have been applied.
        unsure = self.report.in_flight if kind.long_running else self._unsure
        unsure[change.address] = f"PUT {url} sent, no answer yet"
        try:
            first = await self._put(url, body, kind.api_version, kind.call("put"))
        except TransportError as error:
            if error.refused:  # never sent: nothing of it runs in Azure
                unsure.pop(change.address, None)
            raise
        except UnreadableAnswer:  # answered: what it started cannot be read, nor followed
            unsure[change.address] = f"PUT {url} sent, its answer unreadable"
            raise
        if not kind.long_running:
            del unsure[change.address]
            return

        def track(operation: str) -> None:
            # Shown (failed, interrupted) without its query: ARM signs operation URLs there.
            self.report.in_flight[change.address] = where(operation)

        outcome = await follow(
            self.client,
            first,
            url,
            kind.api_version,
            what=f"{kind.noun} {manifest.address.name}",
            timeout=self._budget.left(),
            progress=lambda state: self.notify(Event(change.address, state)),
            on_operation=track,
            poller=self._poller(kind),
        )
        self.report.resources[change.address] = outcome.body

    async def _delete_for_replace(self, kind: ResourceKind, change: Change, before: Any) -> None:
        await deletion.delete(
            self.client,
            kind,
            change.address,
            before,
            params=kind.delete_params,
            timeout=self._budget.left(),
            command="apply",
        )

    async def _delete(self, kind: ResourceKind, change: Change) -> None:
        """--prune: the plan only proposes this for resources carrying our marker."""
        self.notify(Event(change.address, "started", change.action.value))
        try:
            await deletion.delete(
                self.client,
                kind,
                change.address,
                change.before,
                params=kind.delete_params,
                timeout=self._budget.left(),
                command="apply",
            )
        except ReconcilerError as error:
            self._done(change, Result.FAILED, str(error))
            return
        self._done(change, Result.DELETED)


def _own(changes: list[Change]) -> Change | None:
    """The top-level resource's own change among those of its tree."""
    return next((c for c in changes if kinds.of(c.kind).top), None)


def _at(body: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        body = body.get(part) if isinstance(body, dict) else None
    return body


def _reaches(after: Mapping[str, tuple[str, ...]], start: str, target: str) -> bool:
    """Whether ``start`` waits, directly or not, for ``target``."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        if node == target:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(after.get(node, ()))
    return False
