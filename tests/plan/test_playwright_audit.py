"""The Playwright audit over odd but real answers: timestamps without an offset, and warning
windows larger than a date can hold."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from reconciler.manifest.model import PlaywrightAudit, Source
from reconciler.plan.model import Action, ReasonCode
from reconciler.playwright.audit import evaluate
from reconciler.playwright.client import TokenInfo

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _audit(days: int = 14) -> PlaywrightAudit:
    return PlaywrightAudit(
        name="audit",
        endpoint="https://eastus.api.playwright.microsoft.com",
        account_id="eastus_1",
        required_tokens=("ci",),
        warn_before_expiry_days=days,
        allow_unlisted_tokens=True,
        source=Source(Path("m.yaml"), 1),
    )


def _token(expiry: datetime) -> TokenInfo:
    return TokenInfo(id="1", name="ci", created_at=None, expiry_at=expiry, state="Active")


def test_an_expiry_without_offset_is_read_as_utc() -> None:
    soon = datetime(2026, 6, 5)  # naive, as "2026-06-05T00:00:00" parses
    [finding] = evaluate(_audit(), [_token(soon)], NOW)
    assert finding.action is Action.READ and finding.code is ReasonCode.TOKEN_EXPIRING
    assert "expires on 2026-06-05" in finding.reason
    [past] = evaluate(_audit(), [_token(datetime(2026, 5, 1))], NOW)
    assert "expired on 2026-05-01" in past.reason and past.code is ReasonCode.TOKEN_EXPIRED


def test_a_huge_warning_window_warns_instead_of_overflowing() -> None:
    [finding] = evaluate(_audit(99_999_999_999), [_token(datetime(2099, 1, 1, tzinfo=UTC))], NOW)
    assert finding.action is Action.READ and finding.code is ReasonCode.TOKEN_EXPIRING
    assert "renew" in finding.reason
