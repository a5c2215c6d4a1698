"""Apply a destroy plan: delete what it deletes, children before their parent, and nothing else.

The plan (:func:`reconciler.plan.destroy.destroy_plan`) proposes a delete only for what the
manifests declare; this module sends those DELETEs and follows their long-running operations
as apply follows a PUT's (:mod:`reconciler.apply.lro`: ``Azure-AsyncOperation``, ``Location``,
or the resource itself until it is gone).

* In each workspace: its declared children first (a kind written one at a time in its parent
  is deleted one at a time too), then the workspace, only if every child went: a parent whose
  child failed is skipped, with the reason, while other workspaces go on. A workspace whose id
  another deleted one names (a project names its hub) goes after that one, and only if it went.
* A resource already gone (404, or 204 to the DELETE) counts as deleted: a rerun after a
  failure half-way converges, and loses nothing that a first run would not have deleted.
  After a long-running delete, only the resource itself proves it gone: an operation that
  ended (or is unknown, 404) while the resource still reads is a failure, not a delete.
* A change the plan marks purged (``--purge``) deletes a soft-deleted kind for good (its
  ``purge_params``); any other keeps the service's soft delete, and the name with it.
* The URL comes from the plan's address, never from an id a server returned; that id must
  name the same resource, or nothing is deleted.
* ARM is the state: nothing is written locally, so Ctrl-C or a crash loses nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from reconciler import kinds
from reconciler.apply import deletion, stopping
from reconciler.apply.applier import ApplyReport, Event, Notify, Result
from reconciler.apply.budget import Budget
from reconciler.apply.progress import LiveProgress, PlainProgress
from reconciler.arm.bodies import where
from reconciler.arm.client import ArmClient
from reconciler.arm.connect import Target, arm_client
from reconciler.arm.loop import run_async
from reconciler.errors import ReconcilerError, UsageError
from reconciler.kinds import ResourceKind
from reconciler.plan.model import Action, Change, Plan, ReasonCode
from reconciler.render import safe

DESTROY_RESULTS = (Result.DELETED, Result.FAILED, Result.SKIPPED)


@dataclass(frozen=True)
class DeleteOptions:
    timeout: float = 3600.0  # per resource, seconds
    deadline: float | None = None  # for the whole destroy, seconds


class Destroyer:
    def __init__(
        self, client: ArmClient, *, options: DeleteOptions, notify: Notify | None = None
    ) -> None:
        self.client = client
        self.options = options
        self.notify = notify or (lambda event: None)
        self.report = ApplyReport()
        self._budget = Budget(client.clock, options.timeout, options.deadline)

    async def destroy(self, plan: Plan) -> ApplyReport:
        self._budget.start()
        self.client.set_deadline(self.options.deadline)
        trees: dict[str, list[Change]] = {}
        for change in plan.changes:
            if kinds.get(change.kind) is not None and change.action is Action.DELETE:
                trees.setdefault(change.workspace, []).append(change)
        first = deleted_first({w: _top(changes) for w, changes in trees.items()})
        gone = {w: asyncio.get_running_loop().create_future() for w in trees}
        await asyncio.gather(
            *(
                self._tree(changes, [gone[d] for d in first[w]], gone[w])
                for w, changes in trees.items()
            )
        )
        return self.report

    def _done(self, change: Change, result: Result, detail: str = "") -> None:
        self.report.results[change.address] = (result, detail)
        self.report.in_flight.pop(change.address, None)
        self.notify(Event(change.address, result.value, detail))

    async def _tree(
        self, changes: list[Change], before: list[asyncio.Future[bool]], gone: asyncio.Future[bool]
    ) -> None:
        """The children first (in reverse registry order), then the top-level resource, once
        the top-level resources naming it (``before``) are gone; ``gone`` says whether all went."""
        try:
            gone.set_result(await self._tree_in_order(changes, before))
        finally:
            if not gone.done():
                gone.set_result(False)

    async def _tree_in_order(
        self, changes: list[Change], before: list[asyncio.Future[bool]]
    ) -> bool:
        top = _top(changes)
        rest = [c for c in changes if c is not top]
        serial = [c for c in rest if kinds.of(c.kind).one_write_at_a_time]

        async def one_by_one() -> bool:
            results = []
            for change in serial:
                results.append(await self._delete(change))
            return all(results)

        outcomes = await asyncio.gather(
            one_by_one(), *(self._delete(c) for c in rest if c not in serial)
        )
        if top is None:
            return all(outcomes)
        if not all(outcomes):
            failed = [
                c.address.rsplit("/", 1)[-1]
                for c in rest
                if self.report.results[c.address][0] is not Result.DELETED
            ]
            detail = f"not deleted: what it holds was not ({', '.join(sorted(failed))})"
            self._done(top, Result.SKIPPED, detail)
            return False
        if not all(await asyncio.gather(*before)):
            detail = "not deleted: a resource naming it (as a project names its hub) was not"
            self._done(top, Result.SKIPPED, detail)
            return False
        return await self._delete(top)

    async def _delete(self, change: Change) -> bool:
        """Delete one resource and wait until it is gone; True when it is."""
        kind = kinds.of(change.kind).at(change.api_version)
        self.notify(Event(change.address, "started", change.action.value))
        try:
            await self._send(kind, change)
        except ReconcilerError as error:
            self._done(change, Result.FAILED, str(error))
            return False
        self._done(change, Result.DELETED)
        return True

    async def _send(self, kind: ResourceKind, change: Change) -> None:
        def track(operation: str) -> None:
            # Shown (failed, interrupted) without its query: ARM signs operation URLs there.
            self.report.in_flight[change.address] = where(operation)

        # Purged exactly when the plan said so: what was reviewed is what is sent.
        purge = change.code is ReasonCode.DESTROYED_PURGED
        await deletion.delete(
            self.client,
            kind,
            change.address,
            change.before,
            params=kind.destroy_params(purge=purge),
            timeout=self._budget.left(),
            command="destroy",
            track=track,
            progress=lambda state: self.notify(Event(change.address, state)),
        )


def _top(changes: list[Change]) -> Change | None:
    return next((c for c in changes if kinds.of(c.kind).top), None)


def deleted_first(tops: dict[str, Change | None]) -> dict[str, set[str]]:
    """For each top-level resource, those to delete before it: the ones whose live body names
    its id (a project names its hub), which the service would not let it outlive. Resources
    naming each other (a cycle) wait for none of the cycle rather than for ever."""
    ids = {  # as a JSON string, so that no id matches inside a longer one (hub in hub2)
        w: json.dumps(str(c.before["id"])).lower()
        for w, c in tops.items()
        if c is not None and isinstance(c.before, dict) and c.before.get("id")
    }
    bodies = {w: json.dumps(c.before).lower() for w, c in tops.items() if c is not None}
    first = {w: {o for o in bodies if o != w and w in ids and ids[w] in bodies[o]} for w in tops}
    waiting = {w: set(f) for w, f in first.items()}
    while True:  # Kahn's order: what is left when it stops is a cycle
        free = [w for w, f in waiting.items() if not f]
        if not free:
            break
        for w in free:
            del waiting[w]
        for f in waiting.values():
            f.difference_update(free)
    return {w: set() if w in waiting else f for w, f in first.items()}


def to_delete(plan: Plan) -> list[Change]:
    """The top-level resources the plan deletes (the workspaces a confirmation must name)."""
    return [
        c
        for c in plan.changes
        if c.action is Action.DELETE and kinds.get(c.kind) is not None and kinds.of(c.kind).top
    ]


def confirm_workspaces(
    changes: list[Change], given: list[str] | None, ask: Callable[[str], str] | None
) -> None:
    """Go ahead only when the names of the workspaces the plan deletes were given, exactly:
    by ``--confirm-workspaces`` (``given``) or typed at the prompt (``ask``, on a terminal)."""
    if not changes:
        return
    wanted = sorted({c.address.rsplit("/", 1)[-1].lower() for c in changes})
    shown = ", ".join(wanted)
    if given is None:
        if ask is None:
            raise UsageError(
                f"refusing to delete workspaces without a confirmation naming them: no terminal "
                f"to ask on; pass --confirm-workspaces {','.join(wanted)} (nothing was deleted)"
            )
        typed = ask(f"Type the names of the workspaces to delete ({shown}), comma-separated: ")
        given = [typed]
    names = sorted({n.strip().lower() for g in given for n in g.split(",") if n.strip()})
    if names != wanted:
        missing = sorted(set(wanted) - set(names))
        extra = sorted(set(names) - set(wanted))
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"not deleted by this plan: {', '.join(extra)}"] if extra else []
        raise UsageError(
            f"the workspaces confirmed must be exactly those the plan deletes ({shown}): "
            f"{'; '.join(parts)}; nothing was deleted"
        )


def terminal_prompt() -> Callable[[str], str] | None:
    """Where to ask for a confirmation: on the terminal, the question on stderr (stdout may
    carry the JSON plan), or None without one."""
    if not sys.stdin.isatty():
        return None

    def ask(question: str) -> str:
        sys.stderr.write(question)
        sys.stderr.flush()
        return sys.stdin.readline()

    return ask


def confirm(auto_approve: bool, ask: Callable[[str], str] | None) -> None:
    """Go ahead only on 'yes' typed on a terminal, or when told to (``--auto-approve``)."""
    if auto_approve:
        return
    if ask is None:
        raise UsageError(
            "refusing to destroy without confirmation: no terminal to ask on; pass "
            "--auto-approve (and --confirm-workspaces to delete workspaces); nothing was deleted"
        )
    if ask("Delete these resources? Only 'yes' is accepted: ").strip() != "yes":
        raise UsageError("destroy cancelled; nothing was deleted")


def execute(
    plan: Plan, target: Target, options: DeleteOptions, *, stream: IO[str], live_view: bool
) -> int:
    """Delete what ``plan`` deletes and report: 0 when all of it went, 1 when not (or when the
    output's reader is gone), 130 on Ctrl-C (the operations already running in Azure go on; a
    rerun converges)."""
    progress: Any = LiveProgress() if live_view else PlainProgress(stream)
    holder: dict[str, Destroyer] = {}

    async def go() -> ApplyReport:
        async with arm_client(target) as client:
            holder["destroyer"] = Destroyer(client, options=options, notify=progress)
            return await holder["destroyer"].destroy(plan)

    rerun = "rerun destroy to converge; what is gone is a no-op."
    try:
        with progress:
            report = run_async(go())
    except (KeyboardInterrupt, OSError) as reason:
        if isinstance(reason, OSError) and not stopping.output_failed(reason):
            raise
        running = holder["destroyer"].report.in_flight if holder else {}
        return stopping.stopped(reason, "deletes", running, rerun)
    for address, (result, detail) in sorted(report.results.items()):
        if result in (Result.FAILED, Result.SKIPPED):
            print(safe.terminal(f"{result.value}: {address}: {detail}"), file=sys.stderr)
    counts = ", ".join(f"{report.count(r)} {r.value}" for r in DESTROY_RESULTS)
    stream.write(f"Destroy: {counts}.\n")
    return 0 if report.ok else 1
