"""Every wait the client makes is bounded: by sane ranges for what servers ask, by the total
time one request may take, and by the overall deadline; and a refused connection is retried
briefly and said out loud, not sat out in silence."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from reconciler.arm.auth import StaticToken
from reconciler.arm.client import MAX_PACE, MAX_RETRY_AFTER, ArmClient, RetryPolicy, retry_after
from reconciler.errors import ArmThrottled, DeadlineExceeded, TransportError
from tests.fakes import FakeTime
from tests.slowloris import slow_loris

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, time: FakeTime, **kwargs: Any) -> ArmClient:
    return ArmClient(
        "http://127.0.0.1",
        StaticToken("tok"),
        transport=httpx.MockTransport(handler),
        clock=time,
        sleep=time.sleep,
        **kwargs,
    )


def _gets(client: ArmClient, count: int, deadline: float | None = None) -> None:
    async def go() -> None:
        async with client:
            client.set_deadline(deadline)
            for _ in range(count):
                await client.request("GET", "/x")

    asyncio.run(go())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("17", 17.0),
        ("-5", 0.0),
        ("99999", MAX_RETRY_AFTER),
        ("nan", 3.0),
        ("inf", 3.0),
        ("soon", 3.0),
        (format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True), 0.0),
        pytest.param(  # its id is fixed: one computed from the clock differs per process
            format_datetime(datetime.now(UTC) + timedelta(days=9), usegmt=True),
            MAX_RETRY_AFTER,
            id="a date nine days ahead",
        ),
    ],
)
def test_retry_after_is_held_to_a_sane_range(value: str, expected: float) -> None:
    assert retry_after(httpx.Headers({"Retry-After": value}), 3.0) == expected


@pytest.mark.parametrize("remaining", ["-1000000", "nan", "-inf", "1e308"])
def test_bogus_rate_limit_headers_never_plan_a_long_sleep(remaining: str) -> None:
    time = FakeTime()
    header = {"x-ms-ratelimit-remaining-subscription-reads": remaining}
    _gets(_client(lambda r: httpx.Response(200, json={}, headers=header), time), 5)
    assert all(slept <= MAX_PACE for slept in time.slept), time.slept


def test_pacing_never_waits_past_the_deadline() -> None:
    time = FakeTime()
    header = {"x-ms-ratelimit-remaining-subscription-reads": "0"}
    client = _client(lambda r: httpx.Response(200, json={}, headers=header), time)
    with pytest.raises(DeadlineExceeded, match="deadline"):
        _gets(client, 3, deadline=0.1)
    assert sum(time.slept) <= 0.1


def test_retry_after_never_waits_past_the_deadline() -> None:
    time = FakeTime()
    answer = httpx.Response(
        429, json={"error": {"code": "TooManyRequests"}}, headers={"Retry-After": "100"}
    )
    client = _client(lambda r: answer, time, retry=RetryPolicy(max_attempts=50))
    with pytest.raises(ArmThrottled):
        _gets(client, 1, deadline=10)
    assert sum(time.slept) <= 10


def test_a_refused_connection_is_retried_briefly_and_said_out_loud() -> None:
    time = FakeTime()
    said: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        # As httpx raises it: its own error, caused by the system's.
        refused = ConnectionRefusedError(111, "Connection refused")
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request) from refused

    client = _client(refuse, time, notify=said.append, retry=RetryPolicy(max_attempts=6))
    with pytest.raises(TransportError, match="connection refused") as caught:
        _gets(client, 1)
    assert "after 3 attempt(s)" in str(caught.value)
    assert time.slept == [0.5, 1.0]
    assert len(said) == 2
    assert all("connection refused" in line and "GET /x" in line for line in said)
    assert "retry 1 of 2 in 0.5 s" in said[0]


def test_the_request_timeout_bounds_the_whole_request_not_each_read() -> None:
    with slow_loris() as url:
        client = ArmClient(url, StaticToken("tok"), timeout=0.5, retry=RetryPolicy(max_attempts=1))
        started = time.monotonic()
        with pytest.raises(TransportError, match=r"timed out: no complete answer within 0.5 s"):
            _gets(client, 1)
        assert time.monotonic() - started < 2.0


def _endless_pages(time: FakeTime, seconds_per_page: float) -> tuple[Handler, list[str]]:
    sent: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        time.now += seconds_per_page
        return httpx.Response(
            200, json={"value": [1], "nextLink": f"http://127.0.0.1/x?page={len(sent)}"}
        )

    return handle, sent


def _list(client: ArmClient, deadline: float | None = None) -> None:
    async def go() -> None:
        async with client:
            client.set_deadline(deadline)
            await client.list_all("/x", params={"api-version": "1"})

    asyncio.run(go())


def test_endless_distinct_next_links_stop_at_the_deadline() -> None:
    time = FakeTime()
    handle, sent = _endless_pages(time, 0.05)
    with pytest.raises(DeadlineExceeded, match="not sending GET"):
        _list(_client(handle, time), deadline=5)
    assert len(sent) <= 101


def test_endless_distinct_next_links_stop_at_a_page_cap_without_a_deadline() -> None:
    time = FakeTime()
    handle, sent = _endless_pages(time, 0.0)
    with pytest.raises(TransportError, match="more than 1000 pages"):
        _list(_client(handle, time))
    assert len(sent) == 1000


def _failing_on_every_address(*causes: OSError) -> Handler:
    """As httpx raises it for a host with several addresses (``localhost``: ::1 and
    127.0.0.1): anyio tries each and raises one OSError from a group of their failures."""

    def fail(request: httpx.Request) -> httpx.Response:
        every = ExceptionGroup("multiple connection attempts failed", list(causes))
        try:
            raise OSError("All connection attempts failed") from every
        except OSError as failed:
            raise httpx.ConnectError(str(failed), request=request) from failed

    return fail


@pytest.mark.parametrize(
    ("causes", "said"),
    [
        (
            (ConnectionRefusedError(111, "refused"), ConnectionRefusedError(111, "refused")),
            "connection refused",
        ),
        (
            (OSError(101, "Network is unreachable"), ConnectionRefusedError(111, "refused")),
            "network unreachable, connection refused",
        ),
    ],
    ids=["refused-on-both", "ipv6-unreachable-ipv4-refused"],
)
def test_a_host_with_several_addresses_says_what_each_attempt_met(
    causes: tuple[OSError, ...], said: str
) -> None:
    """Not "the connection could not be made": the causes are in the group anyio raises."""
    time = FakeTime()
    client = _client(_failing_on_every_address(*causes), time, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(TransportError) as caught:
        _gets(client, 1)
    assert said in str(caught.value)
    assert "could not be made" not in str(caught.value)


def test_a_group_with_an_unexplained_failure_is_not_guessed() -> None:
    """One attempt failed for a reason the client cannot name: no cause is claimed."""
    time = FakeTime()
    causes = (ConnectionRefusedError(111, "refused"), OSError("something else"))
    client = _client(_failing_on_every_address(*causes), time, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(TransportError, match="the connection could not be made"):
        _gets(client, 1)
