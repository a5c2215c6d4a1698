"""List a Playwright Testing account's access tokens (data plane, api-version 2024-12-01).

Pages through ``nextLink`` (the shared client refuses loops and other hosts), passes the OData
options as query parameters (httpx encodes them), and asks with ``$select`` for the fields it
uses, so the tokens' JWTs are never even sent to us.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler.arm.client import ArmClient
from reconciler.errors import ReconcilerError
from reconciler.kinds import paths

API_VERSION = "2024-12-01"
FIELDS = "id,name,createdAt,expiryAt,state"


@dataclass(frozen=True)
class TokenInfo:
    """An access token without its value."""

    id: str
    name: str
    created_at: datetime | None
    expiry_at: datetime | None
    state: str


def _unreadable(account_id: str, why: str) -> ReconcilerError:
    return ReconcilerError(
        f"unreadable answer listing the access tokens of Playwright account {account_id!r}: {why}"
    )


def _when(item: dict[str, object], field: str, account_id: str) -> datetime | None:
    """A date, or None when the service gave none. A value that is no date is an error: read
    as None, an expiry nobody can read made the audit call the token valid."""
    text = item.get(field)
    if text is None or text == "":
        return None
    try:
        if isinstance(text, str):
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            # In UTC, as every reader prints it (with a Z): an offset kept, then dropped by
            # strftime, showed 00:00-08:00 as 00:00Z. Without an offset it is UTC already.
            return moment.astimezone(UTC) if moment.tzinfo is not None else moment
    except (ValueError, OverflowError):
        pass
    why = f"{field} {str(text)[:40]!r} of token {str(item.get('name'))[:80]!r} is no date"
    raise _unreadable(account_id, why)


def _text(value: object) -> str:
    """JSON null (or absence) is blank, never the word "None"."""
    return "" if value is None else str(value)


def _token(item: object, account_id: str) -> TokenInfo:
    if not isinstance(item, dict):
        # Left out, a token the audit must flag (unlisted) would pass unseen.
        raise _unreadable(account_id, f"an item that is no object ({type(item).__name__})")
    return TokenInfo(
        id=_text(item.get("id")),
        name=_text(item.get("name")),
        created_at=_when(item, "createdAt", account_id),
        expiry_at=_when(item, "expiryAt", account_id),
        state=_text(item.get("state")),
    )


async def list_tokens(
    client: ArmClient,
    account_id: str,
    *,
    odata_filter: str | None = None,
    orderby: str | None = None,
    top: int | None = None,
    skip: int | None = None,
) -> list[TokenInfo]:
    params = {"api-version": API_VERSION, "$select": FIELDS}
    if odata_filter:
        params["$filter"] = odata_filter
    if orderby:
        params["$orderby"] = orderby
    if top is not None:
        params["$top"] = str(top)
    if skip is not None:
        params["$skip"] = str(skip)
    items = await client.list_all(
        paths.playwright_access_tokens(account_id),
        params=params,
        kind="playwright.accessTokens.list",
    )
    # At most ``top``, whatever the service sends: one that ignores $top would print them all.
    kept = items if top is None else items[: max(top, 0)]
    return [_token(item, account_id) for item in kept]
