"""The ARM client's manners: retries as ARM asks, typed errors, no leaks, safe paging."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import subprocess
import sys
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.arm.auth import AzureIdentityToken, StaticToken, check_endpoint
from reconciler.arm.client import ArmClient, RetryPolicy
from reconciler.errors import (
    ArmAuthError,
    ArmConflict,
    ArmError,
    ArmNotFound,
    ArmThrottled,
    TransportError,
    UnsafeUrlError,
    UsageError,
)
from tests.e2e.conftest import EXAMPLES
from tests.fakes import FakeTime

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, time: FakeTime, **kwargs: Any) -> ArmClient:
    return ArmClient(
        "http://127.0.0.1",
        kwargs.pop("tokens", StaticToken("tok-canary")),
        transport=httpx.MockTransport(handler),
        clock=time,
        sleep=time.sleep,
        **kwargs,
    )


def _run(client: ArmClient, *args: Any, **kwargs: Any) -> Any:
    async def go() -> Any:
        async with client:
            return await client.request(*args, **kwargs)

    return asyncio.run(go())


def _error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": code, "message": f"{code} happened"}}, headers=headers
    )


def test_429_waits_exactly_retry_after() -> None:
    time = FakeTime()
    answers = iter(
        [
            _error(429, "TooManyRequests", {"Retry-After": "17"}),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    result = _run(_client(lambda r: next(answers), time), "GET", "/x")
    assert result.body == {"ok": True}
    assert time.slept == [17.0]


def test_an_answer_read_is_freed_at_once_not_left_to_the_cyclic_collector() -> None:
    """httpx binds an answer's stream to the answer (a reference cycle): kept so, every page
    read waited, body and all, for a full collection (~8 MiB more at the peak of a plan of
    10,000 resources)."""
    answered: list[weakref.ref[httpx.Response]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(200, json={"value": ["x" * 1000]})
        answered.append(weakref.ref(response))
        return response

    gc.collect()
    gc.disable()
    try:
        result = _run(_client(handler, FakeTime()), "GET", "/x")
        assert result.body == {"value": ["x" * 1000]}
        assert len(answered) == 1
        assert answered[0]() is None
    finally:
        gc.enable()


def test_server_errors_back_off_exponentially_with_jitter_and_a_cap() -> None:
    time = FakeTime()
    answers = iter([_error(500, "InternalServerError")] * 5 + [httpx.Response(200)])
    client = _client(
        lambda r: next(answers), time, retry=RetryPolicy(max_attempts=6, base_delay=1, max_delay=4)
    )
    _run(client, "GET", "/x")
    assert len(time.slept) == 5
    for attempt, slept in enumerate(time.slept, start=1):
        cap = min(4, 2 ** (attempt - 1))
        assert cap / 2 <= slept <= cap


def test_the_deadline_stops_retrying() -> None:
    time = FakeTime()
    client = _client(
        lambda r: _error(503, "ServiceUnavailable", {"Retry-After": "100"}),
        time,
        retry=RetryPolicy(max_attempts=50, deadline=250),
    )
    with pytest.raises(ArmError) as caught:
        _run(client, "GET", "/x")
    assert caught.value.code == "ServiceUnavailable"
    assert sum(time.slept) <= 250


@pytest.mark.parametrize(
    ("status", "kind"),
    [(404, ArmNotFound), (409, ArmConflict), (403, ArmAuthError), (400, ArmError)],
)
def test_error_statuses_become_typed_errors_carrying_the_request_id(
    status: int, kind: type
) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-ms-client-request-id"])
        return _error(status, "SomeCode")

    with pytest.raises(kind) as caught:
        _run(_client(handler, FakeTime()), "GET", "/subscriptions/s/x")
    error = caught.value
    assert error.code == "SomeCode" and error.request_id == seen[-1]
    assert str(error).count("\n") == 0
    assert seen[-1] in str(error) and "/subscriptions/s/x" in str(error)


def test_throttled_past_the_retries_is_arm_throttled() -> None:
    client = _client(
        lambda r: _error(429, "TooManyRequests", {"Retry-After": "1"}),
        FakeTime(),
        retry=RetryPolicy(max_attempts=2),
    )
    with pytest.raises(ArmThrottled):
        _run(client, "GET", "/x")


def test_a_401_refreshes_the_token_once() -> None:
    class Rotating(StaticToken):
        def __init__(self) -> None:
            super().__init__("old")
            self.invalidated = 0

        async def invalidate(self) -> None:
            self.invalidated += 1
            self.value = "new"

    tokens = Rotating()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer old":
            return _error(401, "ExpiredAuthenticationToken")
        return httpx.Response(200)

    assert _run(_client(handler, FakeTime(), tokens=tokens), "GET", "/x").status == 200
    assert tokens.invalidated == 1


def test_a_request_is_refused_only_when_no_attempt_of_it_may_have_been_sent() -> None:
    """A PUT whose first attempt went out and lost its connection, then whose retries were
    refused, may still run in Azure: the error must not say it never left (the applier then
    forgot it, and said nothing of what may still be running)."""
    failures = iter([httpx.ReadError("dropped"), httpx.ConnectError("refused")])

    def handler(request: httpx.Request) -> httpx.Response:
        raise next(failures, httpx.ConnectError("refused"))

    with pytest.raises(TransportError) as caught:
        _run(_client(handler, FakeTime(), retry=RetryPolicy(max_attempts=2)), "PUT", "/x")
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert caught.value.refused is False

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransportError) as caught:
        _run(_client(refused, FakeTime(), retry=RetryPolicy(max_attempts=2)), "PUT", "/x")
    assert caught.value.refused is True


def test_transport_errors_never_escape_as_httpx_exceptions() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    time = FakeTime()
    with pytest.raises(TransportError) as caught:
        _run(_client(handler, time, retry=RetryPolicy(max_attempts=3)), "GET", "/x")
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert "after 3 attempt(s)" in str(caught.value)
    assert len(time.slept) == 2


def test_every_request_has_its_own_client_request_id() -> None:
    ids: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ids.append(request.headers["x-ms-client-request-id"])
        return httpx.Response(200)

    client = _client(handler, FakeTime())

    async def go() -> None:
        async with client:
            await asyncio.gather(*(client.request("GET", f"/x{i}") for i in range(20)))

    asyncio.run(go())
    assert len(set(ids)) == 20


def _pages(pages: dict[str, dict[str, Any]]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.path])

    return handler


def _list(handler: Handler) -> list[Any]:
    client = _client(handler, FakeTime())

    async def go() -> list[Any]:
        async with client:
            return await client.list_all("/p1")

    return asyncio.run(go())


def test_paging_follows_next_link() -> None:
    pages = {
        "/p1": {"value": [1], "nextLink": "http://127.0.0.1/p2"},
        "/p2": {"value": [2], "nextLink": None},
    }
    assert _list(_pages(pages)) == [1, 2]


def test_paging_refuses_a_loop_or_another_host() -> None:
    loop = {
        "/p1": {"value": [1], "nextLink": "http://127.0.0.1/p2"},
        "/p2": {"value": [2], "nextLink": "http://127.0.0.1/p2"},
    }
    with pytest.raises(TransportError, match="same nextLink twice"):
        _list(_pages(loop))
    away = {"/p1": {"value": [1], "nextLink": "https://evil.example.com/p2"}}
    with pytest.raises(UnsafeUrlError, match="refusing a nextLink"):
        _list(_pages(away))


def test_debug_logs_hold_no_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _run(
        _client(lambda r: httpx.Response(200, json={"secret": "body-canary"}), FakeTime()),
        "PUT",
        "/x",
        json={"password": "payload-canary"},
    )
    text = caplog.text
    assert "PUT /x -> 200" in text
    for canary in ("tok-canary", "body-canary", "payload-canary"):
        assert canary not in text


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://management.azure.com", True),
        ("http://127.0.0.1:8765", True),
        ("http://localhost:1", True),
        ("http://[::1]:8", True),
        ("http://management.azure.com", False),
        ("ftp://x", False),
        ("not a url", False),
    ],
)
def test_plain_http_only_on_loopback(url: str, ok: bool) -> None:
    if ok:
        assert check_endpoint(url) == url.rstrip("/")
    else:
        with pytest.raises(UsageError):
            check_endpoint(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://management.azure.com\n",
        "http://127.0.0.1:8765\r\n",
        " https://management.azure.com",
    ],
)
def test_an_endpoint_with_whitespace_is_refused_in_one_line(url: str) -> None:
    """A CI variable read from a file keeps its newline; urlsplit would drop it unseen."""
    with pytest.raises(UsageError, match="whitespace or a control character"):
        check_endpoint(url)


def test_an_endpoint_variable_with_a_trailing_newline_is_one_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "--secrets", "skip", str(EXAMPLES)],
        cwd=tmp_path,
        env={**os.environ, "RECONCILER_ARM_ENDPOINT": "http://127.0.0.1:9\n"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "error: endpoint 'http://127.0.0.1:9\\n' holds whitespace or a control character "
        "(a trailing newline?)\n"
    )


def test_azure_identity_tokens_are_cached_until_near_expiry() -> None:
    from azure.core.credentials import AccessToken

    calls: list[str] = []

    class Credential:
        def get_token(self, scope: str) -> AccessToken:
            calls.append(scope)
            return AccessToken(f"t{len(calls)}", 1_700_003_600)

        def close(self) -> None:
            pass

    time = FakeTime()
    provider = AzureIdentityToken("https://management.azure.com/.default", Credential, time)

    async def go() -> list[str]:
        first = await provider.token()
        second = await provider.token()
        time.now += 3400  # within 5 minutes of expiry
        third = await provider.token()
        await provider.close()
        return [first, second, third]

    assert asyncio.run(go()) == ["t1", "t1", "t2"]
    assert calls == ["https://management.azure.com/.default"] * 2


def test_azure_identity_failures_are_one_clear_line() -> None:
    class Broken:
        def get_token(self, scope: str) -> Any:
            raise RuntimeError("DefaultAzureCredential failed to retrieve a token\nlong details")

    provider = AzureIdentityToken("https://management.azure.com/.default", Broken)
    with pytest.raises(UsageError) as caught:
        asyncio.run(provider.token())
    assert "\n" not in str(caught.value) and "az login" in str(caught.value)


def test_an_arm_error_is_printed_on_one_line_whatever_the_service_wrote(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler import cli
    from reconciler.commands import common
    from reconciler.errors import ArmError

    def fail(args: object) -> int:
        raise ArmError(400, "BadRequest", "first line\nsecond\r\n::error::x", method="PUT")

    monkeypatch.setattr(common, "check_usage", fail)  # imported by main() when it runs
    assert cli.main(["validate", "x"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: BadRequest: first line")
    assert "\n::" not in err


def test_a_request_that_cannot_be_built_is_not_counted_in_flight_against_the_budget() -> None:
    """A body httpx refuses to encode (NaN is not JSON) is never sent: ARM's budget must not
    count it as in flight, or every later answer reads one request fewer left."""
    time = FakeTime()
    client = _client(lambda request: httpx.Response(200, json={}), time)
    with pytest.raises(ValueError):
        _run(client, "PUT", "/x", json={"value": float("nan")})
    assert client._budget.in_flight == {"writes": 0}
