"""Follow an ARM long-running operation to a terminal state.

The strategy is chosen from the first response, as azure-core's ARM polling
(``azure/mgmt/core/polling/arm_polling.py``) does:

1. ``Azure-AsyncOperation`` header: poll it; its ``status`` is the operation's state.
2. else ``Location`` header: poll it; 202 means running, 200/201/204 done, an error is a failure.
3. else (200/201 with a body): poll the resource and read ``properties.provisioningState``.

For a PUT, the resource's ``provisioningState`` is authoritative whatever the headers say
(ARM's resource provider contract), so when the caller shares a
:class:`~reconciler.apply.listpoll.ListPoller`, every PUT is followed through it instead: the
resources being provisioned in one resource group are read with one list per round rather
than a GET each, which keeps ARM's read budget for the work. The operation's own URL is then
read once, only if the resource ends Failed or Canceled, for the error it carries.

``Retry-After`` (seconds) sets the wait between polls; without it :data:`DEFAULT_POLL`.
Succeeded, Failed and Canceled are terminal (any case); anything else is in progress. Waiting
uses the client's injected clock and sleep, so tests of hour-long operations run instantly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from reconciler.arm.answers import display
from reconciler.arm.client import ArmClient, Response, retry_after
from reconciler.errors import ArmError, OperationFailed, ReconcilerError, UnreadableAnswer

if TYPE_CHECKING:
    from reconciler.apply.listpoll import ListPoller

DEFAULT_POLL = 30.0  # seconds, when the service sends no Retry-After (azure-core's ARM default)
QUICK_POLL = 1.0  # seconds: a poll interval shorter than this is taken once in a row


def poll_interval(asked: float, quick: int) -> tuple[float, int]:
    """The wait before an operation's next poll, and how many quick ones came in a row.

    The service's ``Retry-After`` (``asked``) sets it. But one under a second, asked again and
    again (``Retry-After: 0`` from a broken or hostile service, or a gateway), would poll as
    fast as answers come and drain the read budget every plan of the subscription shares
    (azure-core and the Go SDK read 0 as unset): the first is taken as asked, those after it
    grow 1, 2, 4 … s, up to :data:`DEFAULT_POLL`."""
    if asked >= QUICK_POLL:
        return asked, 0
    if quick == 0:
        return asked, 1
    return max(asked, min(DEFAULT_POLL, QUICK_POLL * 2 ** (quick - 1))), quick + 1


TERMINAL = ("succeeded", "failed", "canceled")

Progress = Callable[[str], None]


class OperationTimeout(ReconcilerError):
    def __init__(self, what: str, waited: float, url: str, *, command: str = "apply") -> None:
        self.url = url
        self.what = what
        self.waited = waited
        super().__init__(
            f"{what} did not finish within {waited:.0f} s; the operation goes on in "
            f"Azure ({url}); rerun {command} later to pick up where it stands"
        )


@dataclass(frozen=True)
class Outcome:
    status: str  # Succeeded | Failed | Canceled
    body: Any  # the resource as last read, when known


@dataclass(frozen=True)
class Operation:
    """What every strategy needs to know about the operation it follows."""

    client: ArmClient
    resource_url: str
    api_version: str
    what: str
    progress: Progress | None
    method: str = "PUT"  # the request that started it, named in its failure

    def report(self, state: str) -> None:
        if self.progress is not None:
            self.progress(state)

    async def read_resource(self, kind: str) -> Any:
        """The resource as it is now; None when it is gone (a finished DELETE)."""
        answer = await self.client.request(
            "GET",
            self.resource_url,
            params={"api-version": self.api_version},
            kind=kind,
            expect=(404,),
        )
        return answer.body if answer.status != 404 else None


class Strategy(Protocol):
    """One way of learning whether the operation has ended."""

    @property
    def url(self) -> str:
        """What is polled: named when the wait times out."""
        ...

    async def poll(self) -> tuple[Outcome | None, Response]:
        """Poll once: the outcome when the operation has ended (or raise its failure)."""
        ...


@dataclass
class AsyncOperationPolling:
    """``Azure-AsyncOperation``: an operation status document with a ``status``."""

    op: Operation
    url: str

    async def poll(self) -> tuple[Outcome | None, Response]:
        answer = await self.op.client.request("GET", self.url, kind="operation.poll")
        status = _status_of(answer)
        self.op.report(status)
        if status.lower() not in TERMINAL:
            return None, answer
        if status.lower() != "succeeded":
            raise _operation_error(answer.body, status, self.op.what, answer)
        # A finished DELETE leaves nothing to read: 404 is its success.
        return Outcome("Succeeded", await self.op.read_resource("operation.final")), answer


@dataclass
class LocationPolling:
    """``Location``: 202 while running; any other success is the end, an error the failure."""

    op: Operation
    url: str

    async def poll(self) -> tuple[Outcome | None, Response]:
        try:
            answer = await self.op.client.request("GET", self.url, kind="operation.poll")
        except ArmError as error:
            raise OperationFailed(
                error.status,
                error.code,
                error.message,
                method=self.op.method,
                url=self.op.resource_url,
                request_id=error.request_id,
            ) from error
        if answer.status == 202:
            self.op.report("InProgress")
            return None, answer
        self.op.report("Succeeded")
        body = answer.body
        if body is None:
            body = await self.op.read_resource("operation.final")
        return Outcome("Succeeded", body), answer


@dataclass
class ResourcePolling:
    """No operation URL: the resource's own ``provisioningState``."""

    op: Operation

    @property
    def url(self) -> str:
        return self.op.resource_url

    async def poll(self) -> tuple[Outcome | None, Response]:
        answer = await self.op.client.request(
            "GET",
            self.op.resource_url,
            params={"api-version": self.op.api_version},
            kind="operation.poll",
        )
        state = _state_of(answer)
        self.op.report(state)
        if state.lower() not in TERMINAL:
            return None, answer
        return _finish(state, answer.body, self.op.what, answer.url, answer.request_id), answer


def choose(op: Operation, first: Response) -> Strategy:
    """The strategy the first response asks for (see the module docstring)."""
    async_url = first.headers.get("azure-asyncoperation")
    if async_url:
        return AsyncOperationPolling(op, async_url)
    location = first.headers.get("location")
    if location:
        return LocationPolling(op, location)
    return ResourcePolling(op)


async def follow(
    client: ArmClient,
    first: Response,
    resource_url: str,
    api_version: str,
    *,
    what: str,
    timeout: float = 3600.0,
    progress: Progress | None = None,
    on_operation: Callable[[str], None] | None = None,
    poller: ListPoller | None = None,
    method: str = "PUT",
) -> Outcome:
    """Wait until the operation started by ``first`` (a ``method`` request) ends; raise if it
    failed.

    ``poller``: follow the resource's ``provisioningState`` through this shared poller (only
    for a PUT or a wait on a resource being provisioned, never for a DELETE).
    """
    op = Operation(client, resource_url, api_version, what, progress, method)
    strategy = choose(op, first)
    if not isinstance(strategy, ResourcePolling):
        # Refused here, before any wait, if the header points off the endpoint.
        client.url(strategy.url, what="GET operation.poll")
        if on_operation is not None:
            on_operation(strategy.url)
    elif first.status in (200, 201):
        state = provisioning_state(
            first.body, url=first.url, request_id=first.request_id, method=method
        )
        if state.lower() in TERMINAL:
            return _finish(state, first.body, what, first.url, first.request_id)
    delay = retry_after(first.headers, DEFAULT_POLL)
    if poller is not None:
        return await _follow_by_list(op, strategy, poller, delay=delay, timeout=timeout)
    return await _poll_until_done(op, strategy, delay=delay, timeout=timeout)


async def _poll_until_done(
    op: Operation, strategy: Strategy, *, delay: float, timeout: float
) -> Outcome:
    started = op.client.clock()
    delay, quick = poll_interval(delay, 0)
    while True:
        left = timeout - (op.client.clock() - started)
        if left <= 0:
            raise OperationTimeout(op.what, timeout, strategy.url)
        # The last wait ends at the timeout, and its read counts: giving up when the next
        # interval would cross it gave up to one Retry-After early.
        await op.client.sleep(min(delay, left))
        outcome, answer = await strategy.poll()
        if outcome is not None:
            return outcome
        delay, quick = poll_interval(retry_after(answer.headers, DEFAULT_POLL), quick)


async def _follow_by_list(
    op: Operation, strategy: Strategy, poller: ListPoller, *, delay: float, timeout: float
) -> Outcome:
    state, body = await poller.wait(
        op.resource_url,
        delay=delay,
        timeout=timeout,
        what=op.what,
        operation=strategy.url,
        progress=op.progress,
    )
    if state.lower() == "succeeded":
        return Outcome("Succeeded", body)
    if not isinstance(strategy, ResourcePolling):
        # The operation's own status says why it failed (its error code and message): its
        # poll raises that. Should it disagree, the resource's state stands.
        await strategy.poll()
    raise ended_badly(state, op.what, op.resource_url, None)


def provisioning_state(body: Any, *, url: str, request_id: str | None, method: str = "GET") -> str:
    """A resource's ``properties.provisioningState`` (in the answer to ``method``);
    "Succeeded" when it has none."""
    if not isinstance(body, dict) or not isinstance(body.get("properties") or {}, dict):
        # Read as "done" it would let a failed operation pass for a success.
        raise UnreadableAnswer(
            "expected the resource (a JSON object with object properties)",
            method=method,
            url=display(url),
            request_id=request_id,
        )
    props = body.get("properties") or {}
    if props.get("provisioningState"):
        return str(props["provisioningState"])
    return "Succeeded"  # a resource without provisioningState is done when it answers


def ended_badly(state: str, what: str, url: str, request_id: str | None) -> OperationFailed:
    return OperationFailed(
        0,
        f"Provisioning{state}",
        f"{what} ended in provisioningState {state}",
        url=url,
        request_id=request_id,
    )


def _state_of(answer: Response) -> str:
    return provisioning_state(answer.body, url=answer.url, request_id=answer.request_id)


def _status_of(answer: Response) -> str:
    """An Azure-AsyncOperation status document's ``status``."""
    body = answer.body
    if not isinstance(body, dict):
        raise UnreadableAnswer(
            "expected an operation status (a JSON object)",
            method="GET",
            url=display(answer.url),  # never its query: ARM signs operation URLs there
            request_id=answer.request_id,
        )
    return str(body.get("status") or "InProgress")


def _finish(state: str, body: Any, what: str, url: str, request_id: str | None) -> Outcome:
    if state.lower() == "succeeded":
        return Outcome("Succeeded", body)
    raise ended_badly(state, what, url, request_id)


def _operation_error(body: Any, status: str, what: str, answer: Response) -> OperationFailed:
    error = (body or {}).get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or f"Operation{status}")
    message = str(error.get("message") or f"{what} ended {status}")
    return OperationFailed(
        0, code, f"{what} ended {status}: {message}", request_id=answer.request_id
    )
