"""A write that waits out ``409 AnotherOperationInProgress``: ARM refuses a PUT or DELETE on a
resource while another operation runs on it (or on its parent), and says so with that code.

Waited a bounded number of times, with growing delays, never past the client's deadline: then
the conflict itself is the error reported. Any other error is raised at once.
"""

from __future__ import annotations

from typing import Any

from reconciler.arm.client import ArmClient, Response
from reconciler.errors import ArmConflict

CONFLICT_RETRIES = 10


async def send(
    client: ArmClient,
    method: str,
    url: str,
    *,
    params: dict[str, str],
    kind: str,
    json: Any = None,
    expect: tuple[int, ...] = (),
) -> Response:
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            return await client.request(
                method, url, params=params, json=json, kind=kind, expect=expect
            )
        except ArmConflict as error:
            delay = min(60.0, 5.0 * 2**attempt)
            if (
                error.code != "AnotherOperationInProgress"
                or attempt == CONFLICT_RETRIES
                or not client.can_wait(delay)
            ):
                raise
            await client.wait(
                delay, f"for another operation on {error.url or url} to finish (HTTP 409)"
            )
    raise AssertionError("unreachable")
