"""Workspaces provisioning together are polled together: one list per resource group a round.

On a fake clock against the in-process emulator: hours of provisioning run instantly, and the
client's own call counts say how the waiting was done.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apply.applier import Applier, ApplyReport, Result
from reconciler.apply.listpoll import ListPoller
from reconciler.apply.lro import OperationTimeout, poll_interval
from reconciler.arm.auth import StaticToken
from reconciler.arm.client import ArmClient
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, LroMode, transport
from reconciler.emulator.asgi import EmulatorApp
from reconciler.manifest.load import load
from reconciler.plan.planner import Options
from reconciler.session import Target, arm_client, make_plan
from tests.fakes import FakeTime, run_in_virtual_time

GROUPS = ("rg-one", "rg-two")


def _manifest(per_group: int) -> str:
    docs = []
    for group in GROUPS:
        docs += [
            f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: ws-{group}-{i}, "
            f"subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {group}}}\n"
            "spec: {location: westeurope}\n"
            for i in range(per_group)
        ]
    return "---\n".join(docs)


def _apply(tmp_path: Path, per_group: int, **knobs: Any) -> tuple[ApplyReport, ArmClient, Emulator]:
    time = FakeTime()
    emulator = Emulator(
        knobs=Knobs(strict_dependencies=False, **knobs),  # workspaces without links
        clock=time,
        resource_groups=tuple((DEFAULT_SUBSCRIPTION, g) for g in GROUPS),
    )
    target = Target("http://127.0.0.1", transport=transport(emulator), clock=time, sleep=time.sleep)
    path = tmp_path / "ws.yaml"
    path.write_text(_manifest(per_group), encoding="utf-8")
    manifests = load([path], env={}).manifests

    async def go() -> tuple[ApplyReport, ArmClient]:
        plan = await make_plan(manifests, target, {}, options=Options())
        async with arm_client(target) as client:
            return await Applier(client, manifests, {}).apply(plan), client

    report, client = asyncio.run(go())
    return report, client, emulator


@pytest.mark.parametrize("mode", list(LroMode))
def test_workspaces_provisioning_in_one_group_are_polled_with_one_list_a_round(
    tmp_path: Path, mode: LroMode
) -> None:
    report, client, _ = _apply(
        tmp_path, per_group=5, provisioning_seconds=600, retry_after_seconds=15, lro_mode=mode
    )
    assert report.ok, report.results
    assert {r for r, _ in report.results.values()} == {Result.CREATED}
    calls = client.stats.by_kind
    # at most one list per group per Retry-After (the fake clock is shared by both groups'
    # rounds, so fewer happen); no GET of each workspace: 10 workspaces polled one by one
    # would make 400 reads
    assert 0 < calls["operation.list"] <= 2 * (600 // 15 + 1), calls
    assert calls["operation.poll"] == 0 and calls["operation.final"] == 0, calls


def test_a_lone_workspace_is_polled_with_a_get_not_a_list(tmp_path: Path) -> None:
    report, client, _ = _apply(
        tmp_path, per_group=1, provisioning_seconds=60, retry_after_seconds=15
    )
    assert report.ok, report.results
    assert client.stats.by_kind["operation.list"] == 0
    assert 0 < client.stats.by_kind["operation.poll"] <= 2 * (60 // 15 + 1)


@pytest.mark.parametrize("per_group", [1, 3], ids=["one-get-a-round", "one-list-a-round"])
def test_a_service_asking_to_poll_again_at_once_is_polled_less_and_less_often(
    tmp_path: Path, per_group: int
) -> None:
    """Retry-After: 0 on every answer, a minute of provisioning: polled as fast as answers came
    before (on this fake clock, forever), which would drain the read budget a subscription's
    plans share. Now the first wait is as asked, then 1, 2, 4, 8, 16, 30 s."""
    report, client, _ = _apply(
        tmp_path, per_group=per_group, provisioning_seconds=60, retry_after_seconds=0
    )
    assert report.ok, report.results
    polls = client.stats.by_kind["operation.poll"] + client.stats.by_kind["operation.list"]
    assert 0 < polls <= 2 * len(GROUPS) * 8


def test_a_poll_interval_under_a_second_is_taken_once_then_grows() -> None:
    waits, quick = [], 0
    for asked in [0.0] * 8 + [15.0, 0.5, 0.0]:
        wait, quick = poll_interval(asked, quick)
        waits.append(wait)
    assert waits == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 15.0, 0.5, 1.0]


def test_a_failure_found_by_the_list_carries_the_operations_own_error(tmp_path: Path) -> None:
    report, client, _ = _apply(
        tmp_path, per_group=3, provisioning_seconds=60, retry_after_seconds=15, lro_failure_rate=1
    )
    details = [detail for result, detail in report.results.values()]
    assert {r for r, _ in report.results.values()} == {Result.FAILED}
    assert all("InternalServerError" in d and "injected fault" in d for d in details), details
    assert client.stats.by_kind["operation.poll"] == 6  # one status read per failure


# -- what a list answer's headers ask for ------------------------------------------------------

_COLLECTION = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/rg/providers/"
    "Microsoft.MachineLearningServices/workspaces"
)


def _listing_server(
    time: FakeTime, ready_at: float, headers: dict[str, str], pages: int = 1
) -> tuple[httpx.MockTransport, list[tuple[float, str]]]:
    """Two workspaces provisioning until ``ready_at``; every list page answers with
    ``headers``. Returns the transport and (time, page) of every request it saw."""
    seen: list[tuple[float, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page", "1")
        seen.append((time(), page))
        state = "Succeeded" if time() >= ready_at else "Creating"
        items = [
            {"id": f"{_COLLECTION}/{n}", "name": n, "properties": {"provisioningState": state}}
            for n in ("ws-a", "ws-b")
        ]
        body: dict[str, Any] = {"value": items}
        if int(page) < pages:
            body["nextLink"] = f"http://127.0.0.1{_COLLECTION}?api-version=1&page={int(page) + 1}"
        return httpx.Response(200, json=body, headers=headers)

    return httpx.MockTransport(handler), seen


def _wait_both(time: FakeTime, transport: httpx.MockTransport, delay: float) -> list[str]:
    async def go() -> list[str]:
        async with ArmClient(
            "http://127.0.0.1", StaticToken("t"), transport=transport, clock=time, sleep=time.sleep
        ) as client:
            poller = ListPoller(client, "1")
            done = await asyncio.gather(
                *(
                    poller.wait(
                        f"http://127.0.0.1{_COLLECTION}/{n}", delay=delay, timeout=3600, what=n
                    )
                    for n in ("ws-a", "ws-b")
                )
            )
            return [state for state, _ in done]

    return asyncio.run(go())


def test_a_list_answers_retry_after_sets_when_the_next_round_falls_due() -> None:
    time = FakeTime()
    transport, seen = _listing_server(time, time() + 100, {"Retry-After": "40"})
    assert _wait_both(time, transport, delay=10) == ["Succeeded", "Succeeded"]
    rounds = [t for t, _ in seen]
    # every round waits the 40 s the list asked for, not the 10 s the operations said
    assert len(rounds) == 4, rounds
    assert all(b - a >= 40 for a, b in itertools.pairwise(rounds)), rounds


def test_without_retry_after_a_list_round_follows_the_operations_delay() -> None:
    time = FakeTime()
    start = time()
    transport, seen = _listing_server(time, start + 100, {})
    assert _wait_both(time, transport, delay=10) == ["Succeeded", "Succeeded"]
    assert [t - start for t, _ in seen] == [10.0 * i for i in range(1, 11)], seen


def test_a_list_page_saying_the_read_budget_is_spent_paces_the_next_page() -> None:
    time = FakeTime()
    spent = {"x-ms-ratelimit-remaining-subscription-reads": "0"}
    transport, seen = _listing_server(time, time(), spent, pages=2)
    assert _wait_both(time, transport, delay=10) == ["Succeeded", "Succeeded"]
    (first, page1), (second, page2) = seen
    assert (page1, page2) == ("1", "2")
    # the second page waits for ARM's bucket to refill a little (25 reads a second)
    assert second - first > 0, seen


# -- when rounds come: timed by the resources actually due --------------------------------------


def _staggered(
    starts: dict[str, float],
    provisioning: float,
    delay: float,
    timeouts: dict[str, float] | None = None,
) -> tuple[dict[str, float], list[float]]:
    """Waits on workspaces whose operations start (and are waited on) at ``starts`` (seconds),
    each provisioning for ``provisioning``, the operations asking ``delay`` between polls, each
    wait given up after its ``timeouts`` entry (default an hour); on virtual time. Returns when
    each wait returned (negated when it timed out) and when each round came (a list, or the GET
    of a lone resource), in seconds from the start."""

    async def main(loop: asyncio.AbstractEventLoop) -> Any:
        origin = loop.time()
        rounds: list[float] = []

        def handler(request: httpx.Request) -> httpx.Response:
            now = loop.time() - origin
            rounds.append(now)
            items = {
                name: {
                    "id": f"{_COLLECTION}/{name}",
                    "name": name,
                    "properties": {
                        "provisioningState": (
                            "Succeeded" if now >= start + provisioning else "Creating"
                        )
                    },
                }
                for name, start in starts.items()
                if now >= start  # not listed before its PUT
            }
            one = request.url.path.rsplit("/", 1)[-1]
            if one in items:  # the GET of a lone resource
                return httpx.Response(200, json=items[one])
            return httpx.Response(200, json={"value": list(items.values())})

        returned: dict[str, float] = {}
        async with ArmClient(
            "http://127.0.0.1",
            StaticToken("t"),
            transport=httpx.MockTransport(handler),
            clock=loop.time,
            sleep=asyncio.sleep,
        ) as client:
            poller = ListPoller(client, "1")

            async def one(name: str, start: float) -> None:
                await asyncio.sleep(start)
                url = f"http://127.0.0.1{_COLLECTION}/{name}"
                timeout = (timeouts or {}).get(name, 3600.0)
                try:
                    await poller.wait(url, delay=delay, timeout=timeout, what=name)
                except OperationTimeout:
                    returned[name] = -(loop.time() - origin)
                else:
                    returned[name] = loop.time() - origin

            await asyncio.gather(*(one(n, s) for n, s in starts.items()))
        return returned, rounds

    result: tuple[dict[str, float], list[float]] = run_in_virtual_time(main)
    return result


def test_the_last_workspace_is_seen_when_it_is_done_not_an_interval_later() -> None:
    # PUTs answered over five seconds; each workspace takes 30 s; Retry-After 10 s. Rounds on
    # a cadence set by the first PUT (10, 20, 30, 40) would see ws-b, done at 35, at 40.
    returned, rounds = _staggered({"ws-a": 0.0, "ws-b": 5.0}, provisioning=30, delay=10)
    assert returned["ws-b"] == 35.0, (returned, rounds)
    # one list a round, every round one interval after the previous, the first when the last
    # PUT's Retry-After has elapsed: neither was read before its operation asked to be
    assert rounds == [15.0, 25.0, 35.0], rounds


def test_a_round_waits_at_most_one_interval_past_the_first_resource_due() -> None:
    # ws-a falls due at 10; ws-b and ws-c fall due within one interval of it (15, 19), ws-d
    # (21) does not: the round comes at 19, 9 s past ws-a's due, never later than 20.
    starts = {"ws-a": 0.0, "ws-b": 5.0, "ws-c": 9.0, "ws-d": 11.0}
    returned, rounds = _staggered(starts, provisioning=25, delay=10)
    assert rounds[0] == 19.0, rounds
    assert all(b - a >= 10 for a, b in itertools.pairwise(rounds)), rounds
    assert max(returned.values()) <= max(starts.values()) + 25 + 10, returned


def test_a_round_never_waits_past_a_waits_timeout() -> None:
    # ws-a's wait gives up at 12 s: the round does not wait for ws-b (due at 15) past that; it
    # comes when ws-a is due, and ws-a times out without being read after its time is up.
    returned, rounds = _staggered(
        {"ws-a": 0.0, "ws-b": 5.0}, provisioning=30, delay=10, timeouts={"ws-a": 12.0}
    )
    assert rounds[0] == 10.0, rounds
    assert returned["ws-a"] < 0 and -returned["ws-a"] <= 12.0, returned
    assert 35.0 <= returned["ws-b"] < 45.0, (returned, rounds)


@pytest.mark.parametrize("spread", [0.0, 0.3, 4.0, 9.5, 17.0])
def test_no_workspace_is_read_before_its_retry_after_nor_polled_more_than_one_interval_late(
    spread: float,
) -> None:
    starts = {f"ws-{i}": spread * i / 9 for i in range(10)}
    returned, rounds = _staggered(starts, provisioning=30, delay=10)
    # no round before the first Retry-After has elapsed, none sooner than one after another
    assert rounds[0] >= 10, rounds
    assert all(b - a >= 10 for a, b in itertools.pairwise(rounds)), rounds
    for name, start in starts.items():
        # once its Retry-After has elapsed, a round comes within one interval
        assert any(start + 10 <= r <= start + 20 for r in rounds), (name, start, rounds)
        # and it is seen done within one interval of being done
        assert start + 30 <= returned[name] < start + 30 + 10, (name, returned[name])


def test_apply_ends_when_the_last_workspace_is_done_under_arms_throttle(tmp_path: Path) -> None:
    """bench/apply_parallel.py on virtual time: 20 new workspaces in one group, their PUTs
    answered over ~2.5 s (parallelism 2, 250 ms a request), 30 s provisioning, Retry-After
    10 s, ARM's buckets on. Polled on the first PUT's cadence, the last workspace would be seen
    up to 10 s after it is done; it is seen by the rounds its own Retry-After times."""
    path = tmp_path / "ws.yaml"
    path.write_text(_manifest(10), encoding="utf-8")  # 10 in each of two groups
    manifests = load([path], env={}).manifests

    async def main(loop: asyncio.AbstractEventLoop) -> tuple[ApplyReport, float, Emulator]:
        emulator = Emulator(
            knobs=Knobs(
                strict_dependencies=False,
                provisioning_seconds=30,
                retry_after_seconds=10,
                latency_ms=250,
                throttle=True,
            ),
            clock=loop.time,
            resource_groups=tuple((DEFAULT_SUBSCRIPTION, g) for g in GROUPS),
        )
        target = Target(
            "http://127.0.0.1",
            parallelism=2,
            transport=httpx.ASGITransport(app=EmulatorApp(emulator)),
            clock=loop.time,
            sleep=asyncio.sleep,
        )
        plan = await make_plan(manifests, target, {}, options=Options())
        async with arm_client(target) as client:
            report = await Applier(client, manifests, {}).apply(plan)
        return report, loop.time(), emulator

    report, ended, emulator = run_in_virtual_time(main)
    assert report.ok and {r for r, _ in report.results.values()} == {Result.CREATED}
    last_done = max(op.ends for op in emulator.state.operations.values())
    # Seen by the third round after its PUT: each round comes one Retry-After after the
    # previous one's answer, a page (250 ms) later each time; that is all it waited past done.
    assert last_done <= ended <= last_done + 3 * 0.25 + 1e-6, ended - last_done
    requests = emulator.stats()["requests"]
    assert emulator.stats()["statuses"].get("429", 0) == 0
    assert requests["GET workspace.list"] <= 2 * (1 + 30 // 10 + 1), requests


@pytest.mark.parametrize(("done_at", "returned_at"), [(24.0, 25.0), (26.0, -25.0)])
def test_a_wait_reads_once_more_when_its_time_is_up(done_at: float, returned_at: float) -> None:
    # Retry-After 10 s, timeout 25 s: read at 10 and 20, then at 25, not given up at 20
    # because 30 would be past it (up to one interval early). Done at 24: seen done at 25;
    # done at 26: timed out at 25, after that last read.
    returned, rounds = _staggered(
        {"ws-a": 0.0}, provisioning=done_at, delay=10, timeouts={"ws-a": 25.0}
    )
    assert returned["ws-a"] == returned_at, (returned, rounds)
    assert rounds == [10.0, 20.0, 25.0], rounds
