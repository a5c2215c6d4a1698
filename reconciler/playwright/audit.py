"""Evaluate a ``PlaywrightAccessTokens`` audit against the tokens that exist. Pure.

These tokens cannot be created through this API, so every finding is a change of action
``read``: something for a person to do (create, renew, revoke), with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.manifest.model import PLAYWRIGHT_ACCESS_TOKENS, PlaywrightAudit
from reconciler.plan.model import Action, Change, ReasonCode
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


KIND = PLAYWRIGHT_ACCESS_TOKENS


def _finding(address: str, group: str, code: ReasonCode, reason: str) -> Change:
    return Change(
        address=address, kind=KIND, action=Action.READ, code=code, reason=reason, workspace=group
    )


def _required_finding(
    audit: PlaywrightAudit, name: str, token: TokenInfo | None, now: datetime, group: str
) -> Change | None:
    """What is wrong with one required token, or None when it is Active beyond the window."""
    address = f"{group}/{name}"
    if token is None:
        reason = f"required token {name!r} does not exist: create it in the Playwright portal"
        return _finding(address, group, ReasonCode.TOKEN_MISSING, reason)
    expiry = _aware(token.expiry_at)
    if expiry and expiry <= now:
        reason = (
            f"required token {name!r} expired on {_day(token.expiry_at)}: "
            "create a new one and rotate it into your pipelines"
        )
        return _finding(address, group, ReasonCode.TOKEN_EXPIRED, reason)
    if token.state.lower() != "active":
        # Not yet past its expiry, yet the service no longer accepts it: say what it is.
        reason = (
            f"required token {name!r} is {token.state!r}, not Active (its expiry is "
            f"{_day(token.expiry_at)}): create a new one and rotate it into your pipelines"
        )
        return _finding(address, group, ReasonCode.TOKEN_EXPIRED, reason)
    if expiry and expiry - now <= _window(audit.warn_before_expiry_days):
        days = max(0, (expiry - now).days)
        reason = (
            f"required token {name!r} expires on {_day(token.expiry_at)} "
            f"(in {days} day(s), within the {audit.warn_before_expiry_days}"
            "-day warning window): renew it"
        )
        return _finding(address, group, ReasonCode.TOKEN_EXPIRING, reason)
    return None


_NEVER = datetime.max.replace(tzinfo=UTC)


def _standing(token: TokenInfo) -> tuple[bool, datetime]:
    """How good a token is among those of its name: Active first, then the later expiry (none
    is the latest). A token is rotated by creating a new one of the same name and letting the
    old one expire; whichever the listing put last was kept, and an old one last read as the
    required token expired."""
    return token.state.lower() == "active", _aware(token.expiry_at) or _NEVER


def _unlisted_findings(audit: PlaywrightAudit, tokens: list[TokenInfo], group: str) -> list[Change]:
    if audit.allow_unlisted_tokens:
        return []
    wanted = {n.lower() for n in audit.required_tokens}
    return [
        _finding(
            f"{group}/{token.name}",
            group,
            ReasonCode.TOKEN_UNLISTED,
            f"token {token.name!r} is not listed and "
            "allowUnlistedTokens is false: revoke it or list it",
        )
        for token in sorted(tokens, key=lambda t: t.name.lower())
        if token.name.lower() not in wanted
    ]


def evaluate(
    audit: PlaywrightAudit,
    tokens: list[TokenInfo] | None,
    now: datetime,
    *,
    missing_account: str | None = None,
) -> list[Change]:
    group = f"{KIND}/{audit.name}"
    if tokens is None:
        reason = missing_account or "account not found"
        return [_finding(group, group, ReasonCode.ACCOUNT_NOT_FOUND, reason)]
    now = _aware(now) or now
    by_name: dict[str, TokenInfo] = {}
    for token in tokens:
        kept = by_name.get(token.name.lower())
        if kept is None or _standing(token) > _standing(kept):
            by_name[token.name.lower()] = token
    findings = [
        finding
        for name in audit.required_tokens
        if (finding := _required_finding(audit, name, by_name.get(name.lower()), now, group))
    ]
    findings += _unlisted_findings(audit, tokens, group)
    if findings:
        return findings
    reason = (
        f"all {len(audit.required_tokens)} required token(s) Active beyond the "
        f"{audit.warn_before_expiry_days}-day window"
    )
    return [
        Change(
            address=group,
            kind=KIND,
            action=Action.NO_OP,
            code=ReasonCode.TOKENS_VALID,
            reason=reason,
            workspace=group,
        )
    ]
