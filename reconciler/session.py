"""One command's connection to Azure (or the embedded emulator), and the plan pipeline.

Wiring only: load manifests -> open a client -> read live state -> plan. The CLI calls these;
tests call them too with an in-process transport.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.arm.auth import (
    ARM_SCOPE,
    DEFAULT_ENDPOINT,
    ENDPOINT_ENV,
    check_endpoint,
    provider_for,
)
from reconciler.arm.client import ArmClient, RetryPolicy
from reconciler.errors import ManifestError
from reconciler.live import read
from reconciler.manifest import secrets
from reconciler.manifest.load import LoadOptions, load
from reconciler.manifest.model import ManifestSet
from reconciler.plan.model import Plan
from reconciler.plan.planner import Options, plan

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


def load_manifests(
    paths: list[Path], env: Mapping[str, str], *, allow_literal_secrets: bool = False
) -> ManifestSet:
    result = load(paths, LoadOptions(allow_literal_secrets=allow_literal_secrets), env=env)
    if result.problems:
        raise ManifestError(result.problems)
    return result.manifests


def resolve_endpoint(flag: str | None, env: Mapping[str, str]) -> str:
    return check_endpoint(flag or env.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT)


@contextlib.asynccontextmanager
async def arm_client(target: Target) -> AsyncIterator[ArmClient]:
    extra: dict[str, Any] = {}
    if target.clock is not None:
        extra["clock"] = target.clock
    if target.sleep is not None:
        extra["sleep"] = target.sleep
    client = ArmClient(
        target.endpoint,
        provider_for(target.endpoint, ARM_SCOPE),
        parallelism=target.parallelism,
        transport=target.transport,
        verify=target.verify,
        retry=RetryPolicy(max_attempts=max(1, target.retries + 1)),
        **extra,
    )
    try:
        yield client
    finally:
        await client.close()


async def make_plan(
    manifests: ManifestSet,
    target: Target,
    env: Mapping[str, str],
    *,
    options: Options,
    targets: tuple[str, ...] = (),
) -> Plan:
    async with arm_client(target) as client:
        live = await read(client, manifests, compare_secrets=options.compare_secrets)
    values = (
        secrets.values_for_comparison(manifests.connections, env) if options.compare_secrets else {}
    )
    return plan(manifests, live, options=options, secret_values=values, targets=targets)


@contextlib.contextmanager
def embedded_emulator(manifests: ManifestSet, state_file: Path) -> Iterator[str]:
    """Serve the emulator on a free loopback port, seeded with the manifests' resource groups.

    State persists in ``state_file`` so that plan, apply and plan again (separate commands)
    see the same emulated Azure.
    """
    from reconciler.emulator import Emulator, running

    state_file.parent.mkdir(parents=True, exist_ok=True)
    groups = {(w.address.subscription, w.address.resource_group) for w in manifests.workspaces}
    emulator = Emulator(state_file=state_file, resource_groups=tuple(sorted(groups)))
    with running(emulator) as url:
        yield url


def environment_with(files: list[Path]) -> dict[str, str]:
    from reconciler import envfile

    return envfile.environment(files, base=os.environ)
