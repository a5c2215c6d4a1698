"""Evaluate a ``PlaywrightAccessTokens`` audit against the tokens that exist. Pure.

These tokens cannot be created through this API, so every finding is a change of action
``read``: something for a person to do (create, renew, revoke), with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.manifest.model import PlaywrightAudit
from reconciler.plan.model import Action, Change
from reconciler.playwright.client import TokenInfo


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "an unknown date"


def _aware(moment: datetime | None) -> datetime | None:
    """A timestamp the service wrote without an offset is UTC (as the API documents its
    timestamps); comparing it naive with the aware clock would raise."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _window(days: int) -> timedelta:
    """The warning window; days beyond what a date can hold mean "always warn"."""
    try:
        return timedelta(days=days)
    except OverflowError:
        return timedelta.max


def evaluate(
    audit: PlaywrightAudit,
    tokens: list[TokenInfo] | None,
    now: datetime,
    *,
    missing_account: str | None = None,
) -> list[Change]:
    group = f"PlaywrightAccessTokens/{audit.name}"
    kind = "PlaywrightAccessTokens"
    if tokens is None:
        return [Change(group, kind, Action.READ, missing_account or "account not found", group)]
    now = _aware(now) or now
    by_name = {t.name.lower(): t for t in tokens}
    window = _window(audit.warn_before_expiry_days)
    findings: list[Change] = []
    for name in audit.required_tokens:
        address = f"{group}/{name}"
        token = by_name.get(name.lower())
        expiry = _aware(token.expiry_at) if token is not None else None
        if token is None:
            findings.append(
                Change(
                    address,
                    kind,
                    Action.READ,
                    f"required token {name!r} does not exist: create it in the Playwright portal",
                    group,
                )
            )
        elif token.state.lower() != "active" or (expiry and expiry <= now):
            findings.append(
                Change(
                    address,
                    kind,
                    Action.READ,
                    f"required token {name!r} expired on {_day(token.expiry_at)}: "
                    "create a new one and rotate it into your pipelines",
                    group,
                )
            )
        elif expiry and expiry - now <= window:
            days = max(0, (expiry - now).days)
            findings.append(
                Change(
                    address,
                    kind,
                    Action.READ,
                    f"required token {name!r} expires on {_day(token.expiry_at)} "
                    f"(in {days} day(s), within the {audit.warn_before_expiry_days}"
                    "-day warning window): renew it",
                    group,
                )
            )
    if not audit.allow_unlisted_tokens:
        wanted = {n.lower() for n in audit.required_tokens}
        for token in sorted(tokens, key=lambda t: t.name.lower()):
            if token.name.lower() not in wanted:
                findings.append(
                    Change(
                        f"{group}/{token.name}",
                        kind,
                        Action.READ,
                        f"token {token.name!r} is not listed and "
                        "allowUnlistedTokens is false: revoke it or list it",
                        group,
                    )
                )
    if findings:
        return findings
    return [
        Change(
            group,
            kind,
            Action.NO_OP,
            f"all {len(audit.required_tokens)} required token(s) Active beyond the "
            f"{audit.warn_before_expiry_days}-day window",
            group,
        )
    ]
