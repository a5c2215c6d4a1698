"""An async HTTP client for ARM (and Azure.Core data planes) with the manners ARM expects.

* Every request carries a fresh ``x-ms-client-request-id``; errors quote it.
* 429 and 503 wait for ``Retry-After``; 500, 502, 504 and connection errors back off
  exponentially with full jitter, capped; everything stops at a total deadline.
* 401 refreshes the token once (a token can expire mid-run).
* Concurrency is bounded by a semaphore (``--parallelism``).
* The clock, sleep and random source are injected: tests of long waits run instantly.
* Nothing is logged that could hold a secret: no headers, no bodies; URLs carry only
  resource names and api-version.

Error answers become :class:`~reconciler.errors.ArmError` subclasses; httpx exceptions never
escape (they are chained as the cause of a :class:`~reconciler.errors.TransportError`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler.arm import hosts
from reconciler.arm.auth import TokenProvider
from reconciler.errors import (
    ArmAuthError,
    ArmConflict,
    ArmError,
    ArmNotFound,
    ArmThrottled,
    TransportError,
)

log = logging.getLogger("reconciler.arm")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_PAGES = 10_000


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 30.0
    deadline: float = 600.0  # seconds for one logical request, retries included


@dataclass
class Response:
    status: int
    headers: httpx.Headers
    body: Any
    request_id: str
    url: str


@dataclass
class CallStats:
    by_kind: Counter[str] = field(default_factory=Counter)


def _error_from(
    status: int, body: Any, headers: httpx.Headers, method: str, url: str, request_id: str
) -> ArmError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    code = str(error.get("code") or headers.get("x-ms-error-code") or f"Http{status}")
    message = str(error.get("message") or httpx.codes.get_reason_phrase(status) or "error")
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    kind: type[ArmError] = ArmError
    if status == 404:
        kind = ArmNotFound
    elif status == 409:
        kind = ArmConflict
    elif status == 429:
        kind = ArmThrottled
    elif status in (401, 403):
        kind = ArmAuthError
    return kind(
        status,
        code,
        message,
        method=method,
        url=_display(url),
        target=error.get("target"),
        details=details,
        request_id=request_id,
    )


def _display(url: str) -> str:
    """Path only: hosts and query strings add noise and never help the reader."""
    return urlsplit(url).path or url


def retry_after(headers: httpx.Headers, default: float) -> float:
    value = headers.get("retry-after")
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


@dataclass
class Budget:
    """ARM's request budget, as its ``x-ms-ratelimit-remaining-*`` headers report it.

    ARM refills a token bucket per principal and subscription (reads 25/s, writes 10/s). When
    the last answer said the bucket is nearly empty, wait for the refill before sending,
    instead of spending the rest and then sitting out 429s: the same work, without the errors
    (and without starving other tools that share the principal).
    """

    reserve: float = 8.0  # keep this many requests in hand
    rates: dict[str, float] = field(default_factory=lambda: {"reads": 25.0, "writes": 10.0})
    seen: dict[str, tuple[float, float]] = field(default_factory=dict)  # kind -> (left, when)

    @staticmethod
    def kind(method: str) -> str:
        return "reads" if method in ("GET", "HEAD") else "writes"

    def observe(self, method: str, headers: httpx.Headers, now: float) -> None:
        kind = self.kind(method)
        value = headers.get(f"x-ms-ratelimit-remaining-subscription-{kind}")
        try:
            self.seen[kind] = (float(value), now) if value is not None else self.seen[kind]
        except (KeyError, ValueError):
            return

    def wait(self, method: str, now: float) -> float:
        kind = self.kind(method)
        if kind not in self.seen:
            return 0.0
        left, when = self.seen[kind]
        estimate = left + (now - when) * self.rates[kind]
        if estimate >= self.reserve:
            return 0.0
        # Count this request against the budget, so concurrent callers queue up behind it.
        self.seen[kind] = (left - 1, when)
        return (self.reserve - estimate) / self.rates[kind]


class ArmClient:
    def __init__(
        self,
        base_url: str,
        tokens: TokenProvider,
        *,
        parallelism: int = 8,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        verify: bool | str = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.stats = CallStats()
        self._budget = Budget()
        self._semaphore = asyncio.Semaphore(max(1, parallelism))
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            verify=verify,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max(1, parallelism)),
        )

    async def __aenter__(self) -> ArmClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()
        await self.tokens.close()

    def url(self, path_or_url: str, *, what: str = "a request") -> str:
        """An absolute URL on this client's endpoint; anything else is refused (hosts.py)."""
        return hosts.follow(self.base_url, path_or_url, what=what)

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        kind: str = "",
        expect: tuple[int, ...] = (),
    ) -> Response:
        """Send with retries; return the answer or raise the ARM error it carried.

        ``expect`` lists error statuses returned as values instead of raised (a 404 during
        a read is an answer: "absent").
        """
        url = self.url(path_or_url, what=f"{method} {kind or 'request'}")
        started = self.clock()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            request_id = str(uuid.uuid4())
            self.stats.by_kind[kind or method] += 1
            try:
                token = await self.tokens.token()
                async with self._semaphore:
                    await self._pace(method)
                    answer = await self._http.request(
                        method,
                        url,
                        params=params,
                        json=json,
                        headers={
                            "Authorization": f"Bearer {token}",
                            "x-ms-client-request-id": request_id,
                            "Accept": "application/json",
                        },
                    )
                    body = _decode(answer)
                    self._budget.observe(method, answer.headers, self.clock())
            except httpx.HTTPError as exc:
                log.debug(
                    "%s %s failed: %s (request %s)",
                    method,
                    _display(url),
                    type(exc).__name__,
                    request_id,
                )
                delay = self._backoff(attempt)
                if attempt >= self.retry.max_attempts or self._past(started, delay):
                    raise TransportError(
                        f"no answer from {urlsplit(url).netloc} for {method} {_display(url)} "
                        f"after {attempt} attempt(s): {type(exc).__name__}",
                        request_id=request_id,
                    ) from exc
                await self.sleep(delay)
                continue
            log.debug(
                "%s %s -> %s (request %s)", method, _display(url), answer.status_code, request_id
            )
            status = answer.status_code
            if status < 400 or status in expect:
                return Response(status, answer.headers, body, request_id, url)
            if status == 401 and not refreshed:
                refreshed = True
                await self.tokens.invalidate()
                continue
            if status in RETRY_STATUSES and attempt < self.retry.max_attempts:
                if status in (429, 503):
                    delay = retry_after(answer.headers, self._backoff(attempt))
                else:
                    delay = self._backoff(attempt)
                if not self._past(started, delay):
                    await self.sleep(delay)
                    continue
            raise _error_from(status, body, answer.headers, method, url, request_id)

    async def _pace(self, method: str) -> None:
        wait = self._budget.wait(method, self.clock())
        if wait > 0:
            log.debug("pacing %s for %.1f s: ARM's request budget is nearly spent", method, wait)
            await self.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        cap = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
        return self.rng.uniform(cap / 2, cap)

    def _past(self, started: float, delay: float) -> bool:
        return self.clock() + delay - started > self.retry.deadline

    async def list_all(
        self, path_or_url: str, *, params: dict[str, str] | None = None, kind: str = ""
    ) -> list[Any]:
        """Every item of a paged list, following ``nextLink`` safely."""
        first = self.url(path_or_url, what=f"listing {kind or 'items'}")
        items: list[Any] = []
        seen: set[str] = set()
        url: str | None = first
        query = params
        for _ in range(MAX_PAGES):
            if url is None:
                return items
            answer = await self.request("GET", url, params=query, kind=kind)
            query = None  # nextLink carries its own query
            body = answer.body if isinstance(answer.body, dict) else {}
            items.extend(body.get("value") or [])
            next_link = body.get("nextLink")
            if not next_link:
                return items
            if not isinstance(next_link, str):
                raise TransportError(
                    f"the service returned a nextLink that is not a string "
                    f"while listing {_display(first)}"
                )
            next_link = self.url(next_link, what=f"a nextLink (listing {_display(first)})")
            if next_link in seen:
                raise TransportError(
                    f"the service returned the same nextLink twice while listing {_display(first)}"
                )
            seen.add(next_link)
            url = next_link
        raise TransportError(f"more than {MAX_PAGES} pages while listing {_display(first)}")


def _decode(answer: httpx.Response) -> Any:
    if not answer.content:
        return None
    try:
        return answer.json()
    except ValueError:
        return None
