"""Where a command's requests go and how they are made, and the clients that make them.

One place builds every client of a command from its :class:`Target`, so that the ARM client
and the Playwright data-plane client share the transport, clock, retries and deadline that
tests inject.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.arm.auth import (
    DEFAULT_ENDPOINT,
    ENDPOINT_ENV,
    arm_scope,
    check_endpoint,
    provider_for,
)
from reconciler.arm.client import ArmClient, RetryPolicy


@dataclass(frozen=True)
class Target:
    """Where requests go and how they are made (tests inject transport, clock and sleep)."""

    endpoint: str
    parallelism: int = 32  # the CLI's default (commands.options.DEFAULT_PARALLELISM)
    transport: httpx.AsyncBaseTransport | None = None
    verify: bool | str = True
    # False for the emulator this process serves on loopback: no proxy can reach it.
    proxied: bool = True
    clock: Callable[[], float] | None = None
    sleep: Callable[[float], Awaitable[None]] | None = None
    retries: int = 5
    timeout: float = 60.0  # seconds for one HTTP request
    deadline_at: float | None = None  # on ``clock``: no wait of any client may end later


def resolve_endpoint(flag: str | None) -> str:
    """The ARM endpoint: the command line, else the *process* environment, else Azure.

    Never the merged ``--env-file`` environment: a file in the repository is written by
    whoever opened the pull request, and the ARM token goes wherever this points.
    """
    return check_endpoint(flag or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT)


def _timing(target: Target) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if target.clock is not None:
        extra["clock"] = target.clock
    if target.sleep is not None:
        extra["sleep"] = target.sleep
    return extra


def client_for(
    target: Target, endpoint: str, scope: str, *, parallelism: int | None = None
) -> ArmClient:
    """A client of ``endpoint`` signing in for ``scope``, made as ``target`` says."""
    extra = _timing(target)
    if parallelism is not None:
        extra["parallelism"] = parallelism
    client = ArmClient(
        endpoint,
        provider_for(endpoint, scope),
        transport=target.transport,
        verify=target.verify,
        proxied=target.proxied,
        retry=RetryPolicy(max_attempts=max(1, target.retries + 1)),
        timeout=target.timeout,
        **extra,
    )
    client.deadline_at = target.deadline_at
    return client


@contextlib.asynccontextmanager
async def arm_client(target: Target) -> AsyncIterator[ArmClient]:
    """The ARM client of ``target``, closed on the way out."""
    client = client_for(
        target, target.endpoint, arm_scope(target.endpoint), parallelism=target.parallelism
    )
    try:
        yield client
    finally:
        await client.close()
