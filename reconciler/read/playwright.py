"""Read the tokens of every audited Playwright Testing account.

The Playwright data plane is not ARM: each account is read at its own endpoint with a token
for its own audience, one client per audit, made as the command's target says. What the
tokens mean (missing, expiring, unlisted) is the audit's business
(:mod:`reconciler.playwright.audit`), not the reader's.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.arm import hosts
from reconciler.arm.auth import PLAYWRIGHT_SCOPE, check_endpoint
from reconciler.arm.connect import Target, client_for
from reconciler.errors import ArmNotFound, UsageError
from reconciler.manifest.model import ManifestSet, PlaywrightAudit
from reconciler.playwright.client import TokenInfo, list_tokens


@dataclass(frozen=True)
class AccountTokens:
    """What one audit's account holds: its tokens, or (``tokens`` None) why none were read."""

    audit: PlaywrightAudit
    tokens: list[TokenInfo] | None
    missing: str | None = None


async def read_playwright(
    manifests: ManifestSet, target: Target, *, endpoint_override: str | None = None
) -> tuple[list[AccountTokens], dict[str, int]]:
    """The tokens of every PlaywrightAccessTokens audit's account, and the calls they cost."""
    found: list[AccountTokens] = []
    calls: dict[str, int] = {}
    for audit in manifests.playwright:
        if endpoint_override is None:
            reason = hosts.playwright_endpoint_problem(audit.endpoint)
            if reason is not None:  # the loader reports this; here for callers that skip it
                raise UsageError(f"{audit.source}: spec.endpoint: {reason}")
        endpoint = check_endpoint(endpoint_override or audit.endpoint)
        async with client_for(target, endpoint, PLAYWRIGHT_SCOPE) as client:
            try:
                found.append(AccountTokens(audit, await list_tokens(client, audit.account_id)))
            except ArmNotFound as error:
                missing = f"account {audit.account_id!r} not found ({error.code})"
                found.append(AccountTokens(audit, None, missing))
            for kind, count in client.stats.by_kind.items():
                calls[kind] = calls.get(kind, 0) + count
    return found, calls
