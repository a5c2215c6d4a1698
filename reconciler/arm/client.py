"""An async HTTP client for ARM (and Azure.Core data planes) with the manners ARM expects.

* Every request carries a fresh ``x-ms-client-request-id``; errors quote it.
* 429 and 503 wait for ``Retry-After``; 500, 502, 504 and broken connections back off
  exponentially with full jitter, capped; everything stops at a total deadline.
* A refused connection is retried briefly (an endpoint that is down or mistyped stays so),
  and every wait worth noticing is announced through ``notify``: a run is never silent while
  it waits.
* ``timeout`` bounds a whole request, body included: a server trickling a byte at a time
  cannot hold a run past it (httpx's own timeouts bound each socket read only).
* Values from the server that set a wait (``Retry-After``, ``x-ms-ratelimit-remaining-*``) are
  clamped to sane ranges, and no wait crosses ``deadline_at`` (``apply --deadline``).
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
import email.utils
import logging
import math
import random
import ssl
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    DeadlineExceeded,
    TransportError,
    UnreadableAnswer,
)

log = logging.getLogger("reconciler.arm")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_PAGES = 1_000  # of one list: 100,000 items at ARM's page sizes; a bound on a paging loop
# Azure asks for waits of seconds to minutes; an answer asking for more (or for a negative,
# NaN or infinite wait) is a broken proxy or header, and is held to these bounds.
MAX_RETRY_AFTER = 300.0
MAX_PACE = 30.0
ANNOUNCE_WAITS_FROM = 2.0  # seconds: shorter waits are not worth a line

Notify = Callable[[str], None]


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 30.0
    deadline: float = 600.0  # seconds for one logical request, retries included
    connect_attempts: int = 3  # a refused connection: tried this often, 0.5 s then 1 s apart


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
) -> ArmError | UnreadableAnswer:
    if status == 404 and not is_arm_error(body) and not headers.get("x-ms-error-code"):
        # A proxy's or gateway's 404 page: read as ArmNotFound it would mean "absent".
        return UnreadableAnswer(
            "HTTP 404 without an ARM error body (not an answer from ARM; not read as absent)",
            method=method,
            url=_display(url),
            request_id=request_id,
        )
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


def _untrusted_certificate(exc: BaseException) -> str | None:
    """The TLS verification failure behind a transport error, if that is what it is.

    Retrying cannot fix it, and "no answer" would send the user looking for a network fault.
    """
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return str(cause.verify_message or cause.reason or cause)
        cause = cause.__cause__ or cause.__context__
    return None


def _display(url: str) -> str:
    """Path only: hosts and query strings add noise and never help the reader."""
    return urlsplit(url).path or url


def retry_after(headers: httpx.Headers, default: float) -> float:
    """Seconds to wait as ``Retry-After`` asks (seconds or an HTTP date), within
    [0, :data:`MAX_RETRY_AFTER`]; ``default`` when absent or unreadable."""
    value = headers.get("retry-after")
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return default
        if when.tzinfo is None:
            return default
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return default
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


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
        if value is None:
            return
        try:
            left = float(value)
        except ValueError:
            return
        if math.isfinite(left):
            # Fewer than none left means none left; ARM's buckets hold thousands at most.
            self.seen[kind] = (min(max(left, 0.0), 100_000.0), now)

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
        return min(MAX_PACE, (self.reserve - estimate) / self.rates[kind])


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
        notify: Notify | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.timeout = timeout
        self.notify: Notify = notify or log.warning
        self.deadline_at: float | None = None  # on ``clock``; no wait may cross it
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

    def set_deadline(self, seconds: float | None) -> None:
        """From now on, no wait (retry, pacing, conflict) may end later than ``seconds`` from
        now, nor later than a deadline already set (None sets nothing)."""
        if seconds is None:
            return
        ends = self.clock() + seconds
        self.deadline_at = ends if self.deadline_at is None else min(self.deadline_at, ends)

    def can_wait(self, delay: float) -> bool:
        return self.deadline_at is None or self.clock() + delay <= self.deadline_at

    async def wait(self, delay: float, why: str) -> None:
        """The one way this client (and the applier through it) waits: announced when long
        enough to notice, and refused with :class:`DeadlineExceeded` past the deadline."""
        if not self.can_wait(delay):
            raise DeadlineExceeded(f"the deadline is reached; gave up waiting {why}")
        if delay >= ANNOUNCE_WAITS_FROM:
            self.notify(f"waiting {delay:.0f} s {why}")
        await self.sleep(delay)

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
        where = f"{method} {_display(url)}"
        started = self.clock()
        if self.deadline_at is not None and started >= self.deadline_at:
            # Reads too: a server handing out endless pages cannot hold a run past it.
            raise DeadlineExceeded(f"the deadline is reached; not sending {where}")
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            request_id = str(uuid.uuid4())
            self.stats.by_kind[kind or method] += 1
            try:
                token = await self.tokens.token()
                async with self._semaphore:
                    await self._pace(method, where)
                    async with asyncio.timeout(self.timeout):
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
                    body = _decode(answer, method, url, request_id)
                    self._budget.observe(method, answer.headers, self.clock())
            except (httpx.HTTPError, TimeoutError) as exc:
                reason = _transport_reason(exc, self.timeout)
                log.debug("%s failed: %s (request %s)", where, reason, request_id)
                problem = _untrusted_certificate(exc)
                if problem is not None:
                    raise TransportError(
                        f"{urlsplit(url).netloc} presented a certificate this machine does not "
                        f"trust ({problem}): for the emulator's --https certificate set "
                        "SSL_CERT_FILE to the path it printed",
                        request_id=request_id,
                    ) from exc
                refused = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                limit = self.retry.connect_attempts if refused else self.retry.max_attempts
                delay = 0.5 * 2 ** (attempt - 1) if refused else self._backoff(attempt)
                if attempt >= min(limit, self.retry.max_attempts) or not self._may_wait(
                    started, delay
                ):
                    raise TransportError(
                        f"no answer from {urlsplit(url).netloc} for {where} "
                        f"after {attempt} attempt(s): {reason}",
                        request_id=request_id,
                    ) from exc
                if refused or delay >= ANNOUNCE_WAITS_FROM:
                    # Refused: the likeliest cause is a wrong or stopped endpoint; say so now.
                    self.notify(
                        f"{reason} ({urlsplit(url).netloc}, {where}); "
                        f"retry {attempt} of {min(limit, self.retry.max_attempts) - 1} "
                        f"in {delay:.1f} s"
                    )
                await self.sleep(delay)
                continue
            log.info(
                "%s %s -> %s (request %s)", method, _display(url), answer.status_code, request_id
            )
            status = answer.status_code
            if status < 400 or status in expect:
                return _checked(Response(status, answer.headers, body, request_id, url), method)
            if status == 401 and not refreshed:
                refreshed = True
                await self.tokens.invalidate()
                continue
            if status in RETRY_STATUSES and attempt < self.retry.max_attempts:
                if status in (429, 503):
                    delay = retry_after(answer.headers, self._backoff(attempt))
                else:
                    delay = self._backoff(attempt)
                if self._may_wait(started, delay):
                    await self.wait(
                        delay,
                        f"to retry {where} (HTTP {status}; "
                        f"attempt {attempt + 1} of {self.retry.max_attempts})",
                    )
                    continue
            raise _error_from(status, body, answer.headers, method, url, request_id)

    async def _pace(self, method: str, where: str) -> None:
        wait = self._budget.wait(method, self.clock())
        if wait > 0:
            log.debug("pacing %s for %.1f s: ARM's request budget is nearly spent", where, wait)
            await self.wait(wait, f"before {where}: ARM's request budget is nearly spent")

    def _backoff(self, attempt: int) -> float:
        cap = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
        return self.rng.uniform(cap / 2, cap)

    def _may_wait(self, started: float, delay: float) -> bool:
        """A retry's wait fits both the request's own deadline and the overall one."""
        return self.clock() + delay - started <= self.retry.deadline and self.can_wait(delay)

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
            page, next_link = _page(answer)
            items.extend(page)
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


def _transport_reason(exc: BaseException, timeout: float) -> str:
    """What went wrong, in words; never the exception's text (it may quote a URL's query)."""
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or unreachable"
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"timed out: no complete answer within {timeout:g} s"
    return type(exc).__name__


def _decode(answer: httpx.Response, method: str, url: str, request_id: str) -> Any:
    """The JSON body of an answer; None when there is none.

    A success whose body is not JSON (a proxy's HTML page, a truncated body) is unreadable,
    never "no body": read as absent it would turn into a create that overwrites. An error
    answer may carry anything; its status says enough.
    """
    if not answer.content:
        return None
    try:
        return answer.json()
    except ValueError:
        if answer.status_code >= 400:
            return None
        kind = answer.headers.get("content-type", "").split(";")[0].strip() or "no content type"
        raise UnreadableAnswer(
            f"HTTP {answer.status_code} with a body that is not JSON ({kind}, "
            f"{len(answer.content)} bytes)",
            method=method,
            url=_display(url),
            request_id=request_id,
        ) from None


def is_arm_error(body: Any) -> bool:
    """ARM's ``ErrorResponse``: ``{"error": {"code": ..., "message": ...}}`` (Azure.Core data
    planes may instead send only the ``x-ms-error-code`` header)."""
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and isinstance(error.get("code"), str)


def _checked(response: Response, method: str) -> Response:
    """A 404 returned as a value means "absent" only when ARM itself said so."""
    if (
        response.status == 404
        and not is_arm_error(response.body)
        and not response.headers.get("x-ms-error-code")
    ):
        raise UnreadableAnswer(
            "HTTP 404 without an ARM error body (not an answer from ARM; not read as absent)",
            method=method,
            url=_display(response.url),
            request_id=response.request_id,
        )
    return response


def _page(answer: Response) -> tuple[list[Any], str | None]:
    """The items and next link of one page of an ARM list: ``{"value": [...], "nextLink"}``."""

    def bad(what: str) -> UnreadableAnswer:
        return UnreadableAnswer(
            what, method="GET", url=_display(answer.url), request_id=answer.request_id
        )

    body = answer.body
    if not isinstance(body, dict):
        raise bad(f"a list page must be a JSON object, not {_json_type(body)}")
    value = body.get("value")
    if not isinstance(value, list):
        raise bad(f"a list page's 'value' must be an array, not {_json_type(value)}")
    next_link = body.get("nextLink")
    if next_link is not None and not isinstance(next_link, str):
        raise bad(f"a list page's 'nextLink' must be a string, not {_json_type(next_link)}")
    return value, next_link or None


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
