"""Read the tokens of every audited Playwright Testing account, and what the audits find.

The Playwright data plane is not ARM: each account is read at its own endpoint with a token
for its own audience, one client per audit, made as the command's target says.
"""

from __future__ import annotations

from datetime import datetime

from reconciler.arm import hosts
from reconciler.arm.auth import PLAYWRIGHT_SCOPE, check_endpoint
from reconciler.arm.connect import Target, client_for
from reconciler.errors import ArmNotFound, UsageError
from reconciler.manifest.model import ManifestSet
from reconciler.plan.model import Change
from reconciler.playwright.audit import evaluate
from reconciler.playwright.client import TokenInfo, list_tokens


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
        async with client_for(target, endpoint, PLAYWRIGHT_SCOPE) as client:
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
