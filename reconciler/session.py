"""The pipelines of one command: open a client -> read live state and the audited Playwright
accounts -> plan, with the audits' findings (:func:`make_plan`); for apply, then check,
confirm, apply and report (:func:`run_apply`).

Wiring only: what each step does lives in its own module (:mod:`reconciler.inputs` loads
the manifests, :mod:`reconciler.arm.connect` makes the clients, :mod:`reconciler.read` reads,
:mod:`reconciler.plan` decides, :mod:`reconciler.embedded` runs the emulator of
``--emulator``). The CLI calls this; tests call it too with an in-process transport.
``destroy`` plans with :func:`make_destroy_plan`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from reconciler.arm.connect import Target, arm_client
from reconciler.arm.loop import run_async
from reconciler.errors import UsageError
from reconciler.manifest import secrets
from reconciler.manifest.model import ManifestSet
from reconciler.plan.deciding import Deciding
from reconciler.plan.destroy import DestroyOptions, destroy_plan, groups_to_list
from reconciler.plan.model import Plan
from reconciler.plan.planner import Options, plan
from reconciler.plan.record import manifest_digest
from reconciler.plan.targeting import unmatched_targets
from reconciler.playwright.audit import evaluate
from reconciler.read.live import read, read_groups
from reconciler.read.livestate import LiveState
from reconciler.read.playwright import read_playwright


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

    # Each workspace is decided as soon as it and what it holds are read, while the rest
    # is still being read; the plan takes those decisions and makes the others.
    deciding = Deciding(manifests, options)

    async def read_arm() -> LiveState:
        async with arm_client(target) as client:
            return await read(
                client,
                manifests,
                compare_secrets=options.compare_secrets,
                settled=deciding.settled,
            )

    # Two services, two clients: neither waits for the other. ARM's failure is the one
    # reported when both fail (no credential, say), whichever failed first.
    audits = asyncio.ensure_future(
        read_playwright(manifests, target, endpoint_override=playwright_endpoint)
    )
    try:
        live = await read_arm()
    except BaseException:
        audits.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await audits
        raise
    accounts, calls = await audits
    now = now or datetime.now(UTC)
    findings = [
        finding
        for account in accounts
        for finding in evaluate(account.audit, account.tokens, now, missing_account=account.missing)
    ]
    for kind, count in calls.items():
        live.calls[kind] = live.calls.get(kind, 0) + count
    values = (
        secrets.values_for_comparison(manifests.resources, env) if options.compare_secrets else {}
    )
    return plan(
        manifests,
        live,
        options=options,
        secret_values=values,
        targets=targets,
        extra=tuple(findings),
        decided=deciding.made,
    )


async def make_destroy_plan(
    manifests: ManifestSet,
    target: Target,
    *,
    options: DestroyOptions,
    targets: tuple[str, ...] = (),
) -> Plan:
    """What ``destroy`` would delete: the live state of what is declared (secrets are never
    read: nothing is compared), then the pure destroy planner. Where it deletes a hub, one
    list of the hub's resource group finds the projects naming it that stay in Azure,
    undeclared ones too, and the plan is made again with them (its delete warns by name)."""
    async with arm_client(target) as client:
        live = await read(client, manifests, compare_secrets=False)
        made = destroy_plan(manifests, live, options=options, targets=targets)
        groups = groups_to_list(made, live)
        if not groups:
            return made
        await read_groups(client, live, groups)
    return destroy_plan(manifests, live, options=options, targets=targets)


def run_apply(
    manifests: ManifestSet,
    target: Target,
    env: Mapping[str, str],
    *,
    options: Options,
    targets: tuple[str, ...] = (),
    saved_plan: Path | None = None,
    auto_approve: bool = False,
    allow_replace: bool = False,
    timeout: float = 3600.0,
    color: bool = False,
    playwright_endpoint: str | None = None,
    deadline: float | None = None,
    live_view: bool = False,
) -> int:
    """Plan, refuse a stale ``saved_plan``, show the plan, confirm, apply; the exit code."""
    # Here, not at the top: a plan (this module's other use) needs no applier.
    from reconciler.apply import runner
    from reconciler.apply.applier import ApplyOptions
    from reconciler.render.text import render_text

    # A saved plan that cannot be applied (unreadable, another format) costs no call to Azure.
    saved = None
    if saved_plan is not None:
        saved = runner.read_saved(saved_plan)
        # Nor does one made from other manifests: they are known before anything is read.
        runner.check_manifests(saved_plan, saved, manifest_digest(manifests))
        targets = runner.targets_for(saved_plan, saved, targets)
    if deadline is not None:
        # The deadline covers the whole command: the plan apply makes first included.
        target = replace(target, deadline_at=(target.clock or time.monotonic)() + deadline)
    made = make_plan(
        manifests,
        target,
        env,
        options=options,
        targets=targets,
        playwright_endpoint=playwright_endpoint,
    )
    the_plan = run_async(made)
    if saved_plan is not None:
        # First: a saved plan's targets were not typed, and a stale plan is why they miss.
        values = secrets.values_for_comparison(manifests.resources, env)
        runner.check_saved(saved_plan, the_plan, values, saved=saved)
    missing = unmatched_targets(the_plan.changes, targets)
    if missing:
        raise UsageError(
            f"--target {', '.join(repr(t) for t in missing)} matches nothing declared or found "
            "in Azure; nothing was applied"
        )
    sys.stdout.write(render_text(the_plan, color=color))
    if not the_plan.has_changes:
        return 0
    runner.confirm(auto_approve or saved_plan is not None)
    apply_options = ApplyOptions(
        allow_replace=allow_replace, timeout=timeout, deadline=deadline, strict=options.strict
    )
    return runner.execute(the_plan, manifests, target, env, apply_options, live_view=live_view)
