"""List a Playwright Testing account's access tokens (data plane, api-version 2024-12-01).

Pages through ``nextLink`` (the shared client refuses loops and other hosts), passes the OData
options as query parameters (httpx encodes them), and asks with ``$select`` for the fields it
uses, so the tokens' JWTs are never even sent to us.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reconciler.arm.client import ArmClient
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


def _when(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


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
    return [
        TokenInfo(
            id=str(i.get("id", "")),
            name=str(i.get("name", "")),
            created_at=_when(i.get("createdAt")),
            expiry_at=_when(i.get("expiryAt")),
            state=str(i.get("state", "")),
        )
        for i in items
        if isinstance(i, dict)
    ]
