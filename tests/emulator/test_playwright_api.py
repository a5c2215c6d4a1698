"""The Playwright Testing access-token list: OData options, paging, errors."""

from __future__ import annotations

import httpx
import pytest

from reconciler.emulator import Emulator, transport

ACCOUNT = "eastus_00000000-0000-0000-0000-000000000001"
URL = f"/accounts/{ACCOUNT}/access-tokens"
V = {"api-version": "2024-12-01"}


@pytest.fixture
def client() -> httpx.Client:
    emulator = Emulator()
    emulator.playwright.seed(
        ACCOUNT,
        [
            {
                "id": f"00000000-0000-0000-0000-{i:012d}",
                "name": f"token{i:02d}",
                "createdAt": f"2026-01-{i + 1:02d}T00:00:00Z",
                "expiryAt": f"2027-01-{i + 1:02d}T00:00:00Z",
                "state": "Expired" if i % 5 == 0 else "Active",
            }
            for i in range(25)
        ],
    )
    return httpx.Client(
        transport=transport(emulator),
        base_url="http://pw.local",
        headers={"Authorization": "Bearer t"},
    )


def _all(client: httpx.Client, params: dict[str, str]) -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    page = client.get(URL, params={**V, **params}).json()
    items += page["value"]
    while page.get("nextLink"):
        page = client.get(page["nextLink"]).json()
        items += page["value"]
    return items


def test_default_page_is_ten_with_next_link(client: httpx.Client) -> None:
    first = client.get(URL, params=V).json()
    assert len(first["value"]) == 10 and first["nextLink"]
    assert len(_all(client, {})) == 25


def test_filter_orderby_top_skip_select(client: httpx.Client) -> None:
    expired = _all(client, {"$filter": "state eq 'Expired'", "$orderby": "name desc"})
    assert [t["name"] for t in expired] == ["token20", "token15", "token10", "token05", "token00"]
    window = _all(client, {"$top": "3", "$skip": "2", "$select": "name,state"})
    assert window == [
        {"name": "token02", "state": "Active"},
        {"name": "token03", "state": "Active"},
        {"name": "token04", "state": "Active"},
    ]
    both = _all(client, {"$filter": "name eq 'token01' or name eq 'token03' and state eq 'Active'"})
    assert [t["name"] for t in both] == ["token01", "token03"]


def test_top_spanning_pages_stops_at_top(client: httpx.Client) -> None:
    assert len(_all(client, {"$top": "13"})) == 13


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"$filter": "nonsense"}, 400, "InvalidQueryParameter"),
        ({"$top": "-1"}, 400, "InvalidQueryParameter"),
        ({"$select": "password"}, 400, "InvalidQueryParameter"),
        ({"api-version": "2020-01-01"}, 400, "UnsupportedApiVersion"),
    ],
)
def test_bad_queries_carry_the_error_code_header(
    client: httpx.Client, params: dict[str, str], status: int, code: str
) -> None:
    response = client.get(URL, params={**V, **params})
    assert response.status_code == status
    assert response.headers["x-ms-error-code"] == code
    assert response.json()["error"]["code"] == code


def test_unknown_account_and_missing_token(client: httpx.Client) -> None:
    missing = client.get("/accounts/westus_0000-0000/access-tokens", params=V)
    assert missing.status_code == 404
    assert missing.headers["x-ms-error-code"] == "AccountNotFound"
    anonymous = client.get(URL, params=V, headers={"Authorization": ""})
    assert anonymous.status_code == 401
