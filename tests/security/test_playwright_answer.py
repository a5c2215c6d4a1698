"""A Playwright access-token list is the server's words: an expiry that is no date, or an item
that is no token, is an unreadable answer (exit 1), never "no expiry" or "no such token" — an
audit read that way passes green (``drift`` exit 0) on a token nobody can date."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from reconciler.arm.auth import StaticToken
from reconciler.arm.client import ArmClient
from reconciler.errors import ReconcilerError
from reconciler.playwright.client import TokenInfo, list_tokens
from tests.fakes import FakeTime

ACCOUNT = "eastus_00000000-0000-0000-0000-000000000000"
TOKEN = {
    "id": "1",
    "name": "ciPipelineToken",
    "createdAt": "2026-01-01T00:00:00Z",
    "expiryAt": "2027-01-01T00:00:00Z",
    "state": "Active",
}


def _list(items: list[Any], top: int | None = None) -> list[TokenInfo]:
    time = FakeTime()
    client = ArmClient(
        "http://127.0.0.1",
        StaticToken("tok"),
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json={"value": items})),
        clock=time,
        sleep=time.sleep,
    )

    async def go() -> list[TokenInfo]:
        async with client:
            return await list_tokens(client, ACCOUNT, top=top)

    return asyncio.run(go())


@pytest.mark.parametrize(
    "items",
    [
        [{**TOKEN, "expiryAt": "garbage"}],
        [{**TOKEN, "expiryAt": "2026-13-45T00:00:00Z"}],
        [{**TOKEN, "expiryAt": 1767225600}],
        [{**TOKEN, "createdAt": "yesterday"}],
        [TOKEN, "ciPipelineToken"],
    ],
)
def test_an_expiry_that_is_no_date_or_an_item_that_is_no_token_is_refused(
    items: list[Any],
) -> None:
    # Before: the expiry read as None ("never expires") and the audit said the token was
    # "Active beyond the window"; an item that was not an object was silently left out.
    with pytest.raises(ReconcilerError, match="unreadable answer listing the access tokens"):
        _list(items)


def test_dates_in_any_iso_form_and_an_absent_expiry_are_read() -> None:
    tokens = _list([{**TOKEN, "expiryAt": "2020-01-01T00:00:00.123456789Z"}, {"name": "x"}])
    assert tokens[0].expiry_at is not None and tokens[0].expiry_at.year == 2020
    assert tokens[1].expiry_at is None and tokens[1].name == "x"


def test_a_null_name_or_state_is_blank_not_the_word_none() -> None:
    # Before: JSON null came out as the text "None" (`"state": "None"` in --format json).
    (token,) = _list([{**TOKEN, "state": None, "id": None}])
    assert (token.state, token.id, token.name) == ("", "", "ciPipelineToken")


def test_top_is_held_to_even_by_a_server_that_ignores_it() -> None:
    """``--top 2`` prints at most two tokens, whatever the service sends back."""
    many = [{**TOKEN, "id": str(i), "name": f"token-{i}"} for i in range(5)]
    assert [t.name for t in _list(many, top=2)] == ["token-0", "token-1"]


@pytest.mark.parametrize("top", ["0", "-5"])
def test_top_below_one_is_a_usage_error_before_any_call(
    top: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.cli import main

    endpoint = "https://eastus.api.playwright.microsoft.com"
    code = main(["playwright-tokens", "--account", ACCOUNT, "--endpoint", endpoint, "--top", top])
    assert code != 0
    assert f"--top must be at least 1, not {top}" in capsys.readouterr().err
