"""Follow an ARM long-running operation to a terminal state.

The strategy is chosen from the first response, as azure-core's ARM polling does:

1. ``Azure-AsyncOperation`` header: poll it; its ``status`` is the operation's state.
2. else ``Location`` header: poll it; 202 means running, 200/201/204 done, an error is a failure.
3. else (200/201 with a body): poll the resource and read ``properties.provisioningState``.

``Retry-After`` (seconds) sets the wait between polls; without it :data:`DEFAULT_POLL`.
Succeeded, Failed and Canceled are terminal (any case); anything else is in progress. Waiting
uses the client's injected clock and sleep, so tests of hour-long operations run instantly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.arm.client import ArmClient, Response, retry_after
from reconciler.errors import ArmError, OperationFailed, ReconcilerError, UnreadableAnswer

DEFAULT_POLL = 30.0  # seconds, when the service sends no Retry-After (azure-core's ARM default)
TERMINAL = ("succeeded", "failed", "canceled")


class OperationTimeout(ReconcilerError):
    def __init__(self, what: str, waited: float, url: str) -> None:
        self.url = url
        super().__init__(
            f"{what} did not finish within {waited:.0f} s; the operation goes on in "
            f"Azure ({url}); rerun apply later to pick up where it stands"
        )


@dataclass(frozen=True)
class Outcome:
    status: str  # Succeeded | Failed | Canceled
    body: Any  # the resource as last read, when known


Progress = Callable[[str], None]


def _state_of(answer: Response) -> str:
    body = answer.body
    if not isinstance(body, dict) or not isinstance(body.get("properties") or {}, dict):
        # Read as "done" it would let a failed operation pass for a success.
        raise UnreadableAnswer(
            "expected the resource (a JSON object with object properties)",
            method="GET",
            url=answer.url,
            request_id=answer.request_id,
        )
    props = body.get("properties") or {}
    if props.get("provisioningState"):
        return str(props["provisioningState"])
    return "Succeeded"  # a resource without provisioningState is done when it answers


def _status_of(answer: Response) -> str:
    """An Azure-AsyncOperation status document's ``status``."""
    body = answer.body
    if not isinstance(body, dict):
        raise UnreadableAnswer(
            "expected an operation status (a JSON object)",
            method="GET",
            url=answer.url,
            request_id=answer.request_id,
        )
    return str(body.get("status") or "InProgress")


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
) -> Outcome:
    """Wait until the operation started by ``first`` ends; raise if it failed."""
    headers = first.headers
    async_url = headers.get("azure-asyncoperation")
    location = headers.get("location")
    delay = retry_after(headers, DEFAULT_POLL)
    started = client.clock()
    poll_url = async_url or location or resource_url
    if on_operation is not None and (async_url or location):
        on_operation(poll_url)
    if first.status in (200, 201) and not async_url and not location:
        state = _state_of(first)
        if state.lower() in TERMINAL:
            return _finish(state, first.body, what, first)
    while True:
        if client.clock() - started + delay > timeout:
            raise OperationTimeout(what, timeout, poll_url)
        await client.sleep(delay)
        if async_url:
            answer = await client.request("GET", async_url, kind="operation.poll")
            status = _status_of(answer)
            if progress:
                progress(status)
            if status.lower() in TERMINAL:
                if status.lower() != "succeeded":
                    raise _operation_error(answer.body, status, what, answer)
                # A finished DELETE leaves nothing to read: 404 is its success.
                final = await client.request(
                    "GET",
                    resource_url,
                    params={"api-version": api_version},
                    kind="operation.final",
                    expect=(404,),
                )
                return Outcome("Succeeded", final.body if final.status != 404 else None)
        elif location:
            try:
                answer = await client.request("GET", location, kind="operation.poll")
            except ArmError as error:
                raise OperationFailed(
                    error.status,
                    error.code,
                    error.message,
                    method="PUT",
                    url=resource_url,
                    request_id=error.request_id,
                ) from error
            if answer.status != 202:
                if progress:
                    progress("Succeeded")
                body = answer.body
                if body is None:
                    final = await client.request(
                        "GET",
                        resource_url,
                        params={"api-version": api_version},
                        kind="operation.final",
                        expect=(404,),
                    )
                    body = final.body if final.status != 404 else None
                return Outcome("Succeeded", body)
            if progress:
                progress("InProgress")
        else:
            answer = await client.request(
                "GET", resource_url, params={"api-version": api_version}, kind="operation.poll"
            )
            state = _state_of(answer)
            if progress:
                progress(state)
            if state.lower() in TERMINAL:
                return _finish(state, answer.body, what, answer)
        delay = retry_after(answer.headers, DEFAULT_POLL)


def _finish(state: str, body: Any, what: str, answer: Response) -> Outcome:
    if state.lower() == "succeeded":
        return Outcome("Succeeded", body)
    raise OperationFailed(
        0,
        f"Provisioning{state}",
        f"{what} ended in provisioningState {state}",
        url=answer.url,
        request_id=answer.request_id,
    )


def _operation_error(body: Any, status: str, what: str, answer: Response) -> OperationFailed:
    error = (body or {}).get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or f"Operation{status}")
    message = str(error.get("message") or f"{what} ended {status}")
    return OperationFailed(
        0, code, f"{what} ended {status}: {message}", request_id=answer.request_id
    )
