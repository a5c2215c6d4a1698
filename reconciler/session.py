"""The plan pipeline of one command: open a client -> read live state -> audit -> plan.

Wiring only: what each step does lives in its own module (:mod:`reconciler.inputs` loads
the manifests, :mod:`reconciler.arm.connect` makes the clients, :mod:`reconciler.read` reads,
:mod:`reconciler.plan` decides, :mod:`reconciler.embedded` runs the emulator of
``--emulator``). The CLI calls this; tests call it too with an in-process transport.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from reconciler.arm.connect import Target, arm_client
from reconciler.manifest import secrets
from reconciler.manifest.model import ManifestSet
from reconciler.plan.model import Plan
from reconciler.plan.planner import Options, plan
from reconciler.read.live import read
from reconciler.read.playwright import audit_playwright


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
