"""A listNotebookAccessToken answer is the server's words: a token that is not a token (a line
break in it would turn ``::add-mask::`` into a workflow command of the server's choosing) or a
duration that is not one is refused; the text output shows the rest escaped."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from reconciler.arm.auth import StaticToken
from reconciler.arm.client import ArmClient
from reconciler.errors import ReconcilerError
from reconciler.manifest.model import Address, Kind
from reconciler.notebook import fetch, masks, render
from tests.fakes import FakeTime

WORKSPACE = Address(Kind("Workspace"), "00000000-1111-2222-3333-444444444444", "rg", "ws")
GOOD = {
    "hostName": "nb.example",
    "publicDns": "dns",
    "notebookResourceId": "id",
    "tokenType": "Bearer",
    "scope": "s",
    "expiresIn": 3600,
    "accessToken": "eyJ0eXAiOiJKV1QifQ.e30.sig",
    "refreshToken": "refresh-opaque",
}


def _fetch(body: dict[str, Any]) -> Any:
    time = FakeTime()
    client = ArmClient(
        "http://127.0.0.1",
        StaticToken("tok"),
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=body)),
        clock=time,
        sleep=time.sleep,
    )

    async def go() -> Any:
        async with client:
            return await fetch(client, WORKSPACE)

    return asyncio.run(go())


@pytest.mark.parametrize(
    "change",
    [
        {"accessToken": "tok\n::error title=pwned::owned"},
        {"refreshToken": "x\r\n::set-output name=a::b"},
        {"accessToken": 12},
        {"expiresIn": "soon"},
        {"expiresIn": -5},
    ],
)
def test_a_token_or_duration_that_is_not_one_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ReconcilerError, match="unreadable answer to listNotebookAccessToken"):
        _fetch({**GOOD, **change})


def test_shown_tokens_are_masked_and_the_rest_escaped() -> None:
    token = _fetch({**GOOD, "hostName": "nb\n::error::x"})
    out = render(token, fmt="text", show_secrets=True, github_actions=True)
    assert out.startswith(f"::add-mask::{GOOD['accessToken']}\n::add-mask::refresh-opaque\n")
    workflow_lines = [line for line in out.splitlines() if line.startswith("::")]
    assert all(line.startswith("::add-mask::") for line in workflow_lines)


@pytest.mark.parametrize(
    "change",
    [{"accessToken": None}, {"accessToken": ""}, {"accessToken": "absent"}],
)
def test_an_answer_without_an_access_token_is_refused_not_printed_as_one(
    change: dict[str, Any],
) -> None:
    # Before: a null accessToken was printed as the token "None" (and `::add-mask::None` hid
    # every "None" in the CI log); a missing or empty one printed a blank token, exit 0.
    body = {**GOOD, **change}
    if change.get("accessToken") == "absent":
        del body["accessToken"]
    with pytest.raises(ReconcilerError, match="unreadable answer to listNotebookAccessToken"):
        _fetch(body)


def test_null_or_missing_descriptive_fields_are_blank_not_the_word_none() -> None:
    body = {**GOOD, "hostName": None, "refreshToken": None, "scope": None}
    del body["publicDns"]
    token = _fetch(body)
    assert (token.host_name, token.public_dns, token.scope) == ("", "", "")
    assert token.refresh_token == ""
    out = render(token, fmt="text", show_secrets=True, github_actions=True)
    assert "None" not in out
    assert "::add-mask::\n" not in out and out.count("::add-mask::") == 1


def test_a_token_holding_percent_escapes_is_masked_as_printed() -> None:
    # The runner unescapes a workflow command's data (%25, %0D, %0A) before masking, as
    # @actions/core escapes it. Before: `::add-mask::tok%0Aen%25` registered "tok\nen%",
    # and the token printed next, "tok%0Aen%25", was not masked.
    token = _fetch({**GOOD, "accessToken": "tok%0Aen%25", "refreshToken": "r%3A"})
    shown = masks(token, show_secrets=True, github_actions=True)
    assert shown == "::add-mask::tok%250Aen%2525\n::add-mask::r%253A\n"
    out = render(token, fmt="text", show_secrets=True, github_actions=True)
    assert out.startswith(shown) and "accessToken         tok%0Aen%25" in out
