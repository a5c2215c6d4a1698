"""Wait for many resources being provisioned with one list per collection per round.

Applying 100 new workspaces polled each on its own costs a GET per workspace per poll: 400
reads for a three-second provisioning, enough to drain ARM's read bucket (and the plan's
reads that share it). A :class:`ListPoller` is shared by the waits of one apply; the
resources waiting in one collection (the workspaces of one resource group) are read together:
one paged list per round answers all of them. Each resource falls due one ``Retry-After``
(or :data:`~reconciler.apply.lro.DEFAULT_POLL`) after its operation's answer, then one after
each round that read it. A round is timed by the resources actually due: it waits, for at most
one interval past the first one due, for the last of those that fall due within that interval
(the PUTs of one apply go out within a fraction of a second and provisioning takes about as
long for each: the round that finds the last one done comes as soon as it is done, rather than
up to an interval later on a cadence set by the first PUT). So no resource is read before it
is due, none more than one interval after nor after its wait's time is up, and rounds come
about once an interval. Resources
not yet due learn their state from a round for free and are not polled early. With a single
resource waiting in a collection, a GET of it is cheaper than a list and is used instead.

Requests go through the client, so its pacing by ``x-ms-ratelimit-remaining-*`` (read from
every answer, each page of a list included), its ``Retry-After`` handling of 429 and its
deadline apply to every round; a ``Retry-After`` on a successful list answer sets when the
next round falls due, as a GET's does for a lone resource. The client's injected
clock and sleep are the only ones used: tests run hours of provisioning instantly.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from reconciler.apply.lro import (
    TERMINAL,
    OperationTimeout,
    Progress,
    poll_interval,
    provisioning_state,
)
from reconciler.arm.client import ArmClient, retry_after
from reconciler.errors import ReconcilerError


@dataclass(eq=False)
class _Watch:
    """One resource waited on: its schedule and the future its waiter awaits."""

    url: str
    operation: str  # named when the wait times out (the operation's URL, else the resource's)
    name: str  # lowercased: ARM names compare case-insensitively
    delay: float
    due: float
    ends: float  # past this the wait times out
    timeout: float
    what: str
    progress: Progress | None
    future: asyncio.Future[tuple[str, Any]] = field(repr=False)
    quick: int = 0  # polls in a row asked to come within a second (lro.poll_interval)


@dataclass
class ListPoller:
    client: ArmClient
    api_version: str
    _waiting: dict[str, list[_Watch]] = field(default_factory=dict)
    _rounds: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def wait(
        self,
        resource_url: str,
        *,
        delay: float,
        timeout: float,
        what: str,
        operation: str = "",
        progress: Progress | None = None,
    ) -> tuple[str, Any]:
        """The resource's terminal provisioningState and its body as last read.

        ``operation``: the operation's URL, named if the wait times out (default: the
        resource's)."""
        collection, _, name = resource_url.rpartition("/")
        now = self.client.clock()
        first, quick = poll_interval(delay, 0)
        watch = _Watch(
            url=resource_url,
            operation=operation or resource_url,
            name=unquote(name).lower(),
            delay=delay,
            due=now + first,
            ends=now + timeout,
            timeout=timeout,
            what=what,
            progress=progress,
            future=asyncio.get_running_loop().create_future(),
            quick=quick,
        )
        key = collection.lower()
        self._waiting.setdefault(key, []).append(watch)
        task = self._rounds.get(key)
        if task is None or task.done():
            self._rounds[key] = asyncio.create_task(self._run(collection, self._waiting[key]))
        return await watch.future

    async def _run(self, collection: str, watches: list[_Watch]) -> None:
        """Poll rounds until nobody waits; every failure reaches the waiters, none is lost."""
        try:
            slept_until = -math.inf
            while _expire(watches):
                wake = _round_at(watches)
                now = self.client.clock()
                if wake > now and wake > slept_until:
                    await self.client.sleep(wake - now)
                    # Others may have joined meanwhile (the PUTs still going out): timed again.
                    slept_until = wake
                    continue
                found, pause = await self._read(collection, watches, wake)
                self._settle(watches, found, pause)
        except asyncio.CancelledError:
            for watch in watches:
                watch.future.cancel()
            raise
        except Exception as error:  # handed to every waiter, who raises it as its own
            for watch in watches:
                if not watch.future.done():
                    watch.future.set_exception(error)
            watches.clear()

    async def _read(
        self, collection: str, watches: list[_Watch], wake: float
    ) -> tuple[dict[str, Any], float | None]:
        """Each waiting resource's body by name, and the Retry-After its answer asked for
        (the GET's, or the list's last page's; None when a list asked for none). ``wake``: when
        this round fell due (a timer may fire a hair early: what was due then is due)."""
        if len(watches) == 1:  # one resource: a GET of it is cheaper than a list
            watch = watches[0]
            answer = await self.client.request(
                "GET", watch.url, params=self._params(), kind="operation.poll"
            )
            return {watch.name: answer.body}, retry_after(answer.headers, watch.delay)
        listing = await self.client.listing(
            collection, params=self._params(), kind="operation.list"
        )
        found = {
            item["name"].lower(): item
            for item in listing.items
            if isinstance(item, dict) and isinstance(item.get("name"), str)
        }
        # The list's own Retry-After, if it asks for one, sets the next round for everyone.
        pause = retry_after(listing.headers, 0.0) if "retry-after" in listing.headers else None
        now = max(self.client.clock(), wake)
        for watch in [w for w in watches if w.name not in found and w.due <= now]:
            # Not listed (a list may lag a PUT): asked on its own, so it cannot be missed.
            try:
                answer = await self.client.request(
                    "GET", watch.url, params=self._params(), kind="operation.poll"
                )
            except ReconcilerError as error:
                watches.remove(watch)
                watch.future.set_exception(error)
                continue
            found[watch.name] = answer.body
        return found, pause

    def _params(self) -> dict[str, str]:
        return {"api-version": self.api_version}

    def _settle(self, watches: list[_Watch], found: dict[str, Any], pause: float | None) -> None:
        now = self.client.clock()
        for watch in list(watches):
            if watch.name not in found:
                continue  # listed by none of this round's answers, and not yet due
            try:
                state = provisioning_state(found[watch.name], url=watch.url, request_id=None)
            except ReconcilerError as error:
                watches.remove(watch)
                watch.future.set_exception(error)
                continue
            if watch.progress is not None:
                watch.progress(state)
            if state.lower() in TERMINAL:
                watches.remove(watch)
                watch.future.set_result((state, found[watch.name]))
            else:  # just read, due or not: next read one interval from now, never earlier
                asked = watch.delay if pause is None else pause
                wait, watch.quick = poll_interval(asked, watch.quick)
                watch.due = max(watch.due, now + wait)
                if watch.due > watch.ends > now:  # read once more when its time is up
                    watch.due = watch.ends


def _round_at(watches: list[_Watch]) -> float:
    """When the next round falls due: when the last of the resources falling due within one
    interval of the first one due is due (never before any of them is, at most one interval
    after the first), and never after a wait's time is up (it is read before it times out)."""
    first = min(watches, key=lambda w: w.due)
    until = min(first.due + first.delay, *(w.ends for w in watches))
    return max(w.due for w in watches if w.due <= until)


def _expire(watches: list[_Watch]) -> bool:
    """Drop the waits given up (their waiter was cancelled) or timed out; any left?"""
    for watch in list(watches):
        if watch.future.done():
            watches.remove(watch)
        elif watch.due > watch.ends:
            watches.remove(watch)
            watch.future.set_exception(OperationTimeout(watch.what, watch.timeout, watch.operation))
    return bool(watches)
