"""One command's connection to Azure (or the embedded emulator), and the plan pipeline.

Wiring only: load manifests -> open a client -> read live state -> plan. The CLI calls these;
tests call them too with an in-process transport.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from reconciler.arm import hosts
from reconciler.arm.auth import (
    DEFAULT_ENDPOINT,
    ENDPOINT_ENV,
    PLAYWRIGHT_SCOPE,
    arm_scope,
    check_endpoint,
    provider_for,
)
from reconciler.arm.client import ArmClient, RetryPolicy
from reconciler.errors import ArmNotFound, ManifestError, UsageError
from reconciler.inputs import load_options
from reconciler.live import read
from reconciler.manifest import secrets
from reconciler.manifest.load import load
from reconciler.manifest.model import ManifestSet
from reconciler.plan.model import Change, Plan
from reconciler.plan.planner import Options, plan
from reconciler.playwright.audit import evaluate
from reconciler.playwright.client import TokenInfo, list_tokens

DEFAULT_EMULATOR_STATE = Path(".reconciler") / "emulator-state.json"


@dataclass(frozen=True)
class Target:
    """Where requests go and how they are made (tests inject transport, clock and sleep)."""

    endpoint: str
    parallelism: int = 8
    transport: httpx.AsyncBaseTransport | None = None
    verify: bool | str = True
    clock: Callable[[], float] | None = None
    sleep: Callable[[float], Awaitable[None]] | None = None
    retries: int = 5
    timeout: float = 60.0  # seconds for one HTTP request
    deadline_at: float | None = None  # on ``clock``: no wait of any client may end later


def load_manifests(
    paths: list[Path],
    env: Mapping[str, str],
    *,
    allow_literal_secrets: bool = False,
    require_secrets: bool = True,
    playwright_endpoints: tuple[str, ...] = (),
    variables: Mapping[str, str] | None = None,
) -> ManifestSet:
    """Load or raise every problem. ``require_secrets``: referenced secrets must resolve now
    (apply sends them; plan compares them); commands that use neither need not have them."""
    options = load_options(
        allow_literal_secrets=allow_literal_secrets,
        require_secrets=require_secrets,
        playwright_endpoints=playwright_endpoints,
        variables=variables,
    )
    result = load(paths, options, env=env)
    if result.problems:
        raise ManifestError(result.problems)
    return result.manifests


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


@contextlib.asynccontextmanager
async def arm_client(target: Target) -> AsyncIterator[ArmClient]:
    client = ArmClient(
        target.endpoint,
        provider_for(target.endpoint, arm_scope(target.endpoint)),
        parallelism=target.parallelism,
        transport=target.transport,
        verify=target.verify,
        retry=RetryPolicy(max_attempts=max(1, target.retries + 1)),
        timeout=target.timeout,
        **_timing(target),
    )
    client.deadline_at = target.deadline_at
    try:
        yield client
    finally:
        await client.close()


async def audit_playwright(
    manifests: ManifestSet, target: Target, *, now: datetime, endpoint_override: str | None = None
) -> tuple[list[Change], dict[str, int]]:
    """Findings of every PlaywrightAccessTokens audit, and the calls they cost."""
    changes: list[Change] = []
    calls: dict[str, int] = {}
    for audit in manifests.playwright:
        if endpoint_override is None:
            reason = hosts.playwright_endpoint_problem(audit.endpoint)
            if reason is not None:  # the loader reports this; here for callers that skip it
                raise UsageError(f"{audit.source}: spec.endpoint: {reason}")
        endpoint = check_endpoint(endpoint_override or audit.endpoint)
        client = ArmClient(
            endpoint,
            provider_for(endpoint, PLAYWRIGHT_SCOPE),
            transport=target.transport,
            verify=target.verify,
            retry=RetryPolicy(max_attempts=max(1, target.retries + 1)),
            timeout=target.timeout,
            **_timing(target),
        )
        client.deadline_at = target.deadline_at
        async with client:
            missing = None
            tokens: list[TokenInfo] | None
            try:
                tokens = await list_tokens(client, audit.account_id)
            except ArmNotFound as error:
                tokens, missing = None, f"account {audit.account_id!r} not found ({error.code})"
            for kind, count in client.stats.by_kind.items():
                calls[kind] = calls.get(kind, 0) + count
        changes += evaluate(audit, tokens, now, missing_account=missing)
    return changes, calls


async def make_plan(
    manifests: ManifestSet,
    target: Target,
    env: Mapping[str, str],
    *,
    options: Options,
    targets: tuple[str, ...] = (),
    now: datetime | None = None,
    playwright_endpoint: str | None = None,
) -> Plan:
    async with arm_client(target) as client:
        live = await read(client, manifests, compare_secrets=options.compare_secrets)
    findings, calls = await audit_playwright(
        manifests, target, now=now or datetime.now(UTC), endpoint_override=playwright_endpoint
    )
    for kind, count in calls.items():
        live.calls[kind] = live.calls.get(kind, 0) + count
    values = (
        secrets.values_for_comparison(manifests.connections, env) if options.compare_secrets else {}
    )
    return plan(
        manifests,
        live,
        options=options,
        secret_values=values,
        targets=targets,
        extra=tuple(findings),
    )


def demo_seed(
    manifests: ManifestSet, now: datetime
) -> tuple[tuple[tuple[str, str], ...], dict[str, list[dict[str, str]]]]:
    """What a demo emulator holds for these manifests: the resource groups their workspaces
    name, and for each Playwright audit an account holding its required tokens, Active for
    90 days. ``--emulator`` and ``reconciler emulator --demo`` seed the same."""
    groups = {(w.address.subscription, w.address.resource_group) for w in manifests.workspaces}
    accounts = {
        audit.account_id: [
            {
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "name": name,
                "createdAt": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "expiryAt": (now + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "state": "Active",
            }
            for i, name in enumerate(audit.required_tokens)
        ]
        for audit in manifests.playwright
    }
    return tuple(sorted(groups)), accounts


@contextlib.contextmanager
def embedded_emulator(manifests: ManifestSet, state_file: Path) -> Iterator[str]:
    """Serve the emulator on a free loopback port, seeded with the manifests' resource groups.

    State persists in ``state_file`` so that plan, apply and plan again (separate commands)
    see the same emulated Azure.
    """
    from reconciler.emulator import Emulator, running

    state_file.parent.mkdir(parents=True, exist_ok=True)
    groups, accounts = demo_seed(manifests, datetime.now(UTC))
    emulator = Emulator(state_file=state_file, resource_groups=groups)
    for account, tokens in accounts.items():
        if account not in emulator.state.playwright:
            emulator.playwright.seed(account, tokens)
    with running(emulator) as url:
        yield url
