"""A connection PUT left without a readable answer says whether it may have been applied.

A connection's PUT is synchronous (no long-running operation to follow): once it has reached
Azure, the write may be applied whatever became of its answer. As for a workspace's PUT (which
"may still be running"), the failure says so and to rerun, never the URL's query; a PUT that
never left (the connection refused) says nothing of the kind. The proxy lets the PUT reach
the emulator, then drops the connection or answers with a sign-in page.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from reconciler.apply import conflict
from reconciler.errors import TransportError
from tests.safety.armshapes import HTML
from tests.safety.conftest import WS_PATH, World

APPLIED = "; it may have been applied in Azure"


def _dropped(handler: BaseHTTPRequestHandler) -> None:
    """No answer at all: the connection closes."""


def _sign_in_page(handler: BaseHTTPRequestHandler) -> None:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(HTML)}\r\n\r\n"
    handler.wfile.write(head.encode("ascii") + HTML)


def _failed(err: str) -> str:
    return next(line for line in err.splitlines() if line.startswith("failed: Connection/"))


@pytest.mark.parametrize("writer", [_dropped, _sign_in_page], ids=["dropped", "html"])
def test_a_connection_put_that_reached_azure_without_a_readable_answer_says_so(
    rerun: World, writer: Any
) -> None:
    rerun.proxy.hostile("PUT", "/connections/aoai", writer, forward=True)
    code, out, err = rerun.cli("apply", "--auto-approve", "--retries", "0")
    assert code == 1, out + err
    failed = _failed(err)
    assert f"{APPLIED} (PUT {WS_PATH}/ws-real/connections/aoai" in failed, failed
    assert failed.endswith(": rerun to converge"), failed
    assert "api-version" not in failed, failed
    rerun.proxy.raw.clear()
    rerun.proxy.forwarded.clear()
    code, out, err = rerun.cli("apply", "--auto-approve")  # Azure took it: nothing to write
    assert code == 0 and "No changes" in out + err, out + err
    assert rerun.cli("plan", "--detailed-exitcode")[0] == 0


def test_a_connection_put_that_never_left_says_nothing_of_azure(
    rerun: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused before a byte was sent: nothing of it can have been applied."""
    send = conflict.send

    async def refused(client: Any, method: str, url: str, **kw: Any) -> Any:
        if method == "PUT" and url.endswith("/connections/aoai"):
            raise TransportError("connection refused", refused=True)
        return await send(client, method, url, **kw)

    monkeypatch.setattr(conflict, "send", refused)
    code, out, err = rerun.cli("apply", "--auto-approve", "--retries", "0")
    assert code == 1, out + err
    failed = _failed(err)
    assert "connection refused" in failed and "Azure" not in failed, failed
