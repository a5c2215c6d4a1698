"""An async HTTP client for ARM (and Azure.Core data planes) with the manners ARM expects.

* Every request carries a fresh ``x-ms-client-request-id``; errors quote it.
* 429 and 503 wait for ``Retry-After``; 500, 502, 504 and broken connections back off
  exponentially with full jitter, capped; everything stops at a total deadline.
* A refused connection is retried briefly (an endpoint that is down or mistyped stays so),
  and every wait worth noticing is announced through ``notify``: a run is never silent while
  it waits. Through a proxy, a connection that could not be made is the proxy's: the error
  names it (host and port, and its variable), not the ARM host.
* ``timeout`` bounds a whole request, body included: a server trickling a byte at a time
  cannot hold a run past it (httpx's own timeouts bound each socket read only). Its size is
  bounded too (:mod:`reconciler.arm.bodies`): a body larger than 32 MiB, as sent or decoded,
  is refused as it streams in, and its connection closed.
* Values from the server that set a wait (``Retry-After``, ``x-ms-ratelimit-remaining-*``) are
  clamped to sane ranges, and no wait crosses ``deadline_at`` (``apply --deadline``).
* 401 refreshes the token once (a token can expire mid-run).
* Concurrency is bounded by a semaphore (``--parallelism``), over as many connections, each
  in a pool of its own (:mod:`reconciler.arm.pools`: httpx's CPU per request grows with its
  pool).
* Requests go straight to httpx's transports, directly or through the proxy the environment
  names (:mod:`reconciler.arm.routes`): httpx's client layer (URL merging, a cookie jar, auth
  and redirect hooks, none of which ARM uses) cost ~0.3 ms of CPU a request, a fifth of one.
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
import ssl
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler import __version__
from reconciler.arm import bodies, failures, hosts
from reconciler.arm.answers import Response as Response
from reconciler.arm.answers import checked, decode, display, error_from, list_page
from reconciler.arm.auth import TokenProvider
from reconciler.arm.pacing import MAX_PACE as MAX_PACE
from reconciler.arm.pacing import MAX_RETRY_AFTER as MAX_RETRY_AFTER
from reconciler.arm.pacing import Budget
from reconciler.arm.pacing import retry_after as retry_after
from reconciler.arm.routes import routes_for, via
from reconciler.errors import DeadlineExceeded, TransportError

log = logging.getLogger("reconciler.arm")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_PAGES = 1_000  # of one list: 100,000 items at ARM's page sizes; a bound on a paging loop
ANNOUNCE_WAITS_FROM = 2.0  # seconds: shorter waits are not worth a line

Notify = Callable[[str], None]


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 30.0
    deadline: float = 600.0  # seconds for one logical request, retries included
    connect_attempts: int = 3  # a refused connection: tried this often, 0.5 s then 1 s apart


@dataclass(frozen=True)
class Listing:
    """A whole paged list: its items, and the headers of the answer with its last page."""

    items: list[Any]
    headers: httpx.Headers


@dataclass
class CallStats:
    by_kind: Counter[str] = field(default_factory=Counter)


# What httpx's client would add to every request, but naming this tool (ARM's request logs
# and support see who called).
_HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
    "User-Agent": f"azureml-reconciler/{__version__} python-httpx/{httpx.__version__}",
}


class ArmClient:
    def __init__(
        self,
        base_url: str,
        tokens: TokenProvider,
        *,
        parallelism: int = 16,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        verify: bool | str = True,
        notify: Notify | None = None,
        proxied: bool = True,  # False: never through the environment's proxy (routes.py)
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
        self._turns = {kind: asyncio.Lock() for kind in ("reads", "writes")}
        connections = max(1, parallelism)
        self._semaphore = asyncio.Semaphore(connections)
        self._transport = (
            routes_for(connections, verify=verify, proxied=proxied)
            if transport is None
            else transport
        )
        self._extensions = {"timeout": httpx.Timeout(timeout).as_dict()}

    async def __aenter__(self) -> ArmClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._transport.aclose()
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
        where = f"{method} {display(url)}"
        started = self.clock()
        if self.deadline_at is not None and started >= self.deadline_at:
            # Reads too: a server handing out endless pages cannot hold a run past it.
            raise DeadlineExceeded(f"the deadline is reached; not sending {where}")
        refreshed = False
        attempt = 0
        sent = False  # whether an attempt may have reached the server (not refused)
        while True:
            attempt += 1
            request_id = str(uuid.uuid4())
            self.stats.by_kind[kind or method] += 1
            try:
                answer, body = await self._send(method, url, where, params, json, request_id)
            except (httpx.HTTPError, TimeoutError, ssl.SSLError) as exc:  # httpcore lets some out
                delay = self._transport_retry(exc, attempt, started, url, where, request_id, sent)
                sent = sent or not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                await self.sleep(delay)
                continue
            sent = True
            log.info(
                "%s %s -> %s (request %s)", method, display(url), answer.status_code, request_id
            )
            status = answer.status_code
            if status < 400 or status in expect:
                return checked(Response(status, answer.headers, body, request_id, url), method)
            if status == 401 and not refreshed:
                refreshed = True
                await self.tokens.invalidate()
                continue
            if await self._retried(answer, attempt, started, where):
                continue
            raise error_from(status, body, answer.headers, method, url, request_id)

    async def _send(
        self,
        method: str,
        url: str,
        where: str,
        params: dict[str, str] | None,
        json: Any,
        request_id: str,
    ) -> tuple[httpx.Response, Any]:
        """One attempt: sign, wait for a slot and the budget, send, read the whole answer
        within ``timeout`` and at most :data:`~reconciler.arm.bodies.MAX_BODY` of it."""
        token = await self.tokens.token()
        async with self._semaphore:
            await self._pace(method, where)
            headers = None
            try:
                # Built after the budget counted it sent: a body httpx cannot encode must
                # still be answered (``finally``), or it stays in flight for the whole run.
                request = httpx.Request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers={
                        **_HEADERS,
                        "Authorization": f"Bearer {token}",
                        "x-ms-client-request-id": request_id,
                    },
                    extensions=self._extensions,
                )
                async with asyncio.timeout(self.timeout):
                    answer = await self._transport.handle_async_request(request)
                    content = await bodies.read(
                        answer, method=method, url=url, request_id=request_id
                    )
                headers = answer.headers
                body = decode(answer.status_code, headers, content, method, url, request_id)
            finally:
                self._budget.answered(method, headers, self.clock())
        return answer, body

    def _transport_retry(
        self,
        exc: httpx.HTTPError | TimeoutError | ssl.SSLError,
        attempt: int,
        started: float,
        url: str,
        where: str,
        request_id: str,
        sent: bool = False,
    ) -> float:
        """How long to wait before trying again after no answer; raises
        :class:`TransportError` when not trying again (an untrusted certificate, attempts or
        time used up): ``refused`` (never sent) only if no attempt, ``sent`` the earlier ones,
        may have reached the server."""
        reason = failures.transport_reason(exc, self.timeout)
        log.debug("%s failed: %s (request %s)", where, reason, request_id)
        host = urlsplit(url).netloc
        # Through a proxy, a connection that could not be made is one to the proxy: naming
        # the ARM host would send the user to debug Azure.
        proxy = via(self._transport, httpx.URL(url))
        permanent = failures.permanent(exc, host, where, proxy, RETRY_STATUSES)
        if permanent is not None:
            raise TransportError(
                permanent,
                request_id=request_id,
                refused=isinstance(exc, httpx.ConnectError | httpx.ProxyError) and not sent,
            ) from exc
        refused = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
        limit = self.retry.connect_attempts if refused else self.retry.max_attempts
        delay = 0.5 * 2 ** (attempt - 1) if refused else self._backoff(attempt)
        unreached = failures.unreached(exc) if proxy is not None and refused else None
        if attempt >= min(limit, self.retry.max_attempts) or not self._may_wait(started, delay):
            raise TransportError(
                f"could not connect to the proxy {proxy}: {unreached}, after {attempt} "
                f"attempt(s) to send {where} to {host}"
                if unreached
                else f"no answer from {failures.through(host, proxy)} for {where} after {attempt} "
                f"attempt(s): {reason}",
                request_id=request_id,
                refused=refused and not sent,
            ) from exc
        if refused or delay >= ANNOUNCE_WAITS_FROM:
            # Refused: the likeliest cause is a wrong or stopped endpoint; say so now.
            self.notify(
                (
                    f"could not connect to the proxy {proxy}: {unreached} ({where})"
                    if unreached
                    else f"{reason} ({failures.through(host, proxy)}, {where})"
                )
                + f"; retry {attempt} of {min(limit, self.retry.max_attempts) - 1} "
                f"in {delay:.1f} s"
            )
        return delay

    async def _retried(
        self, answer: httpx.Response, attempt: int, started: float, where: str
    ) -> bool:
        """Wait before retrying an error answer worth retrying (429, 5xx), if the attempts
        and the deadlines allow it; whether it waited."""
        status = answer.status_code
        if status not in RETRY_STATUSES or attempt >= self.retry.max_attempts:
            return False
        if status in (429, 503):
            delay = retry_after(answer.headers, self._backoff(attempt))
        else:
            delay = self._backoff(attempt)
        if not self._may_wait(started, delay):
            return False
        await self.wait(
            delay,
            f"to retry {where} (HTTP {status}; attempt {attempt + 1} of {self.retry.max_attempts})",
        )
        return True

    async def _pace(self, method: str, where: str) -> None:
        """Wait, in turn, until ARM's budget allows sending; then count the request sent."""
        async with self._turns[self._budget.kind(method)]:
            while (wait := self._budget.wait(method, self.clock())) > 0:
                log.debug("pacing %s for %.2f s: ARM's request budget is nearly spent", where, wait)
                await self.wait(wait, f"before {where}: ARM's request budget is nearly spent")
            self._budget.sending(method, self.clock())

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
        return (await self.listing(path_or_url, params=params, kind=kind)).items

    async def listing(
        self, path_or_url: str, *, params: dict[str, str] | None = None, kind: str = ""
    ) -> Listing:
        """Every item of a paged list, and the headers of its last page (what a poller needs
        to honour the ``Retry-After`` a list answer asks for)."""
        first = self.url(path_or_url, what=f"listing {kind or 'items'}")
        items: list[Any] = []
        seen: set[str] = set()
        url: str = first
        query = params
        for _ in range(MAX_PAGES):
            answer = await self.request("GET", url, params=query, kind=kind)
            query = None  # nextLink carries its own query
            page, next_link = list_page(answer)
            items.extend(page)
            if not next_link:
                return Listing(items, answer.headers)
            if not isinstance(next_link, str):
                raise TransportError(
                    f"the service returned a nextLink that is not a string "
                    f"while listing {display(first)}"
                )
            next_link = self.url(next_link, what=f"a nextLink (listing {display(first)})")
            if next_link in seen:
                raise TransportError(
                    f"the service returned the same nextLink twice while listing {display(first)}"
                )
            seen.add(next_link)
            url = next_link
        raise TransportError(f"more than {MAX_PAGES} pages while listing {display(first)}")
