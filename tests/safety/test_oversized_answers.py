"""An answer too large to read is refused, never read whole: a ``Content-Length`` of 10 GiB,
a body that does not end, a gzip bomb. Each is served by the proxy in front of the emulator
(tests/bombs.py), on a read plan makes, on the notebook token and on the Playwright data
plane's list: the CLI exits 1 with one line naming the request and the cap, nothing is read
as absent, apply writes nothing, and the connection is closed as soon as the cap is passed.
"""

from __future__ import annotations

import pytest

from tests.bombs import KINDS, Sent
from tests.safety.conftest import WS_PATH, World
from tests.safety.manifests import AOAI, GIT, WORKSPACE

TARGETS = {  # what plan reads: a resource's GET, a list
    "workspace-get": "/workspaces/ws-real",
    "connection-list": "/workspaces/ws-real/connections",
}
# Bounds the runs made before the cap existed (a 10 GiB Content-Length then waited for the
# rest until this timeout, and failed on it); with the cap none waits at all.
LIMITS = ("--request-timeout", "20", "--retries", "0")


def _refused(err: str, method: str, path: str, world: World) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    line = lines[0]
    assert f"unreadable answer to {method} {world.proxy.url}{path}: the body" in line, line
    assert "is larger than 32 MiB: refused" in line, line
    assert "?" not in line and "api-version" not in line and "Bearer" not in line
    assert "Traceback" not in err


def _stopped_early(kind: str, sent: Sent) -> None:
    """The endless body was cut off by the client, not sent to its end."""
    assert sent.answers >= 1
    if kind != "gzip-bomb":  # the bomb is small as sent: the client may take all of it
        assert sent.completed == 0
        assert sent.hung_up.wait(30), "the client did not close the connection"


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_read_answered_too_large_stops_plan_and_apply_writes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, target: str, kind: str
) -> None:
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    world.write(WORKSPACE, AOAI, GIT)
    assert world.cli("apply", "--auto-approve")[0] == 0
    world.write(WORKSPACE.replace("description: first", "description: second"), AOAI, GIT)
    sent = Sent()
    world.proxy.hostile("GET", TARGETS[target], KINDS[kind](sent))
    world.proxy.puts.clear()
    writes = world.writes()

    for command in (["plan"], ["apply", "--auto-approve"]):
        code, out, err = world.cli(*command, *LIMITS)
        assert code == 1, (command, out, err)
        _refused(err, "GET", WS_PATH + TARGETS[target].removeprefix("/workspaces"), world)
        assert "create" not in out and "delete" not in out
    _stopped_early(kind, sent)
    assert world.proxy.puts == [] and world.writes() == writes

    world.proxy.raw.clear()
    code, out, _ = world.cli("plan", "--detailed-exitcode")
    assert code == 2 and "1 to update" in out  # only the change that was declared


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_notebook_token_answered_too_large_is_refused(world: World, kind: str) -> None:
    world.write(WORKSPACE)
    sent = Sent()
    world.proxy.hostile("POST", "/listNotebookAccessToken", KINDS[kind](sent))
    code, out, err = world.cli("notebook-token", "--workspace", "ws-real", "--retries", "0")
    assert code == 1 and out == "", out
    _refused(err, "POST", f"{WS_PATH}/ws-real/listNotebookAccessToken", world)
    _stopped_early(kind, sent)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_playwright_list_answered_too_large_is_refused(world: World, kind: str) -> None:
    sent = Sent()
    world.proxy.hostile("GET", "/access-tokens", KINDS[kind](sent))
    account = "acc_00000000-0000-0000-0000-000000000000"
    code, out, err = world.run(
        "playwright-tokens", "--account", account, "--endpoint", world.proxy.url, "--retries", "0"
    )
    assert code == 1 and out == "", out
    _refused(err, "GET", f"/accounts/{account}/access-tokens", world)
    _stopped_early(kind, sent)
