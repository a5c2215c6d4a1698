"""A workspace still being provisioned is never "unchanged": the plan shows it, apply waits on
it before touching its connections, and if it ends Failed apply reports it and exits 1.

As after a kill -9 while workspaces were Creating: the rerun finds them in progress. The proxy
shows the workspace's provisioningState, one per GET (with ``Retry-After: 0``, so the wait is
instant), then the real one.
"""

from __future__ import annotations

import pytest

from tests.bombs import Sent, huge_length
from tests.safety.armshapes import HTML
from tests.safety.conftest import WS_PATH, World
from tests.safety.manifests import AOAI, GIT, WORKSPACE


def _creating_then(world: World, *states: str) -> None:
    world.proxy.states[f"{WS_PATH}/ws-real".lower()] = ["Creating", *states]


def test_in_progress_is_shown_by_plan(rerun: World) -> None:
    _creating_then(rerun)
    code, out, _ = rerun.cli("plan", "--detailed-exitcode")
    assert code == 2
    assert "provisioning in progress (provisioningState Creating)" in out
    assert "apply waits for it" in out


def test_ending_failed_is_reported_exit_1_and_its_connections_wait(rerun: World) -> None:
    _creating_then(rerun, "Creating", "Failed")  # apply's plan, its first look, then Failed
    code, out, err = rerun.cli("apply", "--auto-approve")
    assert code == 1, out + err
    assert "failed: Workspace/" in err and "Failed" in err
    assert "skipped: Connection/" in err
    assert rerun.proxy.puts == []  # nothing written that the plan did not show

    rerun.proxy.states.clear()  # the next attempt in "Azure" went through
    assert rerun.cli("apply", "--auto-approve")[0] == 0
    assert rerun.cli("plan", "--detailed-exitcode")[0] == 0


def test_ending_succeeded_is_waited_for_then_its_connections_go_on(rerun: World) -> None:
    _creating_then(rerun, "Creating", "Updating", "Succeeded")
    code, out, err = rerun.cli("apply", "--auto-approve")
    assert code == 0, out + err
    # It polled the workspace to its end before writing the connection.
    assert rerun.proxy.states[f"{WS_PATH}/ws-real".lower()] == ["Succeeded"]
    assert [path for path, _ in rerun.proxy.puts] == [f"{WS_PATH}/ws-real/connections/aoai"]
    assert rerun.cli("plan", "--detailed-exitcode")[0] == 0


@pytest.mark.parametrize("state", ["failed", "CANCELED"])
def test_ended_badly_in_any_case_is_applied_again(rerun: World, state: str) -> None:
    """ARM's provisioning states are case-insensitive (as apply's polling reads them): a
    lower-cased ``failed`` is not "unchanged"."""
    rerun.write(WORKSPACE, GIT)
    rerun.proxy.states[f"{WS_PATH}/ws-real".lower()] = [state]
    code, out, _ = rerun.cli("plan", "--detailed-exitcode")
    assert code == 2, out
    assert f"last provisioning ended {state}; applying again" in out


def test_a_put_left_without_an_answer_says_it_may_still_run_and_a_rerun_converges(
    rerun: World,
) -> None:
    """The connection drops on every attempt of a PUT: Azure may have taken it, so the
    failure says so (as an interrupted apply lists what still runs), and a rerun converges."""
    rerun.proxy.fault("PUT", "/workspaces/ws-real", 0, b"")
    rerun.write(WORKSPACE.replace("description: first", "description: second"), AOAI, GIT)
    code, out, err = rerun.cli("apply", "--auto-approve", "--retries", "0")
    assert code == 1, out + err
    failed = next(line for line in err.splitlines() if line.startswith("failed: Workspace/"))
    assert "may still be running in Azure" in failed, failed
    rerun.proxy.faults.clear()
    assert rerun.cli("apply", "--auto-approve")[0] == 0
    assert rerun.cli("plan", "--detailed-exitcode")[0] == 0


def test_an_operation_left_without_an_answer_is_named_without_its_query(
    rerun: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ARM signs its operation URLs in their query (``t``, ``c``, ``s``, ``h``): the line
    saying the write may still run names the operation by host and path, as every other
    message names a URL, never by its query."""
    answer = rerun.proxy.answer
    put: list[str] = []

    def signed(
        method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if method == "GET" and put:
            return 0, {}, b""  # once the PUT is sent, every poll's connection drops
        status, out, content = answer(method, target, headers, body)
        if method == "PUT":
            put.append(target)
        for name in [k for k in out if k.lower() in ("azure-asyncoperation", "location")]:
            out[name] += "&t=639&c=MIIHcert&s=SIGNATURE&h=HASH"
        return status, out, content

    monkeypatch.setattr(rerun.proxy, "answer", signed)
    rerun.write(WORKSPACE.replace("description: first", "description: second"), AOAI, GIT)
    code, out, err = rerun.cli("apply", "--auto-approve", "--retries", "0")
    assert code == 1, out + err
    failed = next(line for line in err.splitlines() if line.startswith("failed: Workspace/"))
    assert "may still be running in Azure" in failed and "OperationsStatus/" in failed, failed
    assert "SIGNATURE" not in out + err and "api-version" not in failed, failed


def _accepted_then(world: World, spoil: str) -> None:
    """Every workspace PUT reaches the emulator (Azure takes it), but its answer is spoiled."""
    answer = world.proxy.answer

    def spoiled(
        method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        status, out, content = answer(method, target, headers, body)
        if method != "PUT" or not target.split("?")[0].endswith("/workspaces/ws-real"):
            return status, out, content
        if spoil == "html":
            return status, {"Content-Type": "text/html"}, HTML
        return status, {"Content-Type": "application/json"}, b'{"id": "/subscriptions/x", "na'

    if spoil == "oversized":  # a Content-Length of 10 GiB
        world.proxy.hostile("PUT", "/workspaces/ws-real", huge_length(Sent()), forward=True)
    else:
        world.proxy.answer = spoiled  # type: ignore[method-assign]


@pytest.mark.parametrize("spoil", ["html", "truncated", "oversized"])
def test_an_accepted_put_whose_answer_is_unreadable_says_it_may_still_run(
    rerun: World, spoil: str
) -> None:
    """Azure took the PUT but its answer cannot be read (a proxy's page, cut short, too large):
    as for a PUT left without an answer, the failure says the write may still be running in
    Azure and to rerun, and a rerun converges."""
    answer = rerun.proxy.answer
    _accepted_then(rerun, spoil)
    rerun.write(WORKSPACE.replace("description: first", "description: second"), AOAI, GIT)
    code, out, err = rerun.cli("apply", "--auto-approve", "--retries", "0")
    assert code == 1, out + err
    failed = next(line for line in err.splitlines() if line.startswith("failed: Workspace/"))
    assert "unreadable answer to PUT" in failed, failed
    assert "may still be running in Azure" in failed and "rerun" in failed, failed
    assert "api-version" not in failed, failed
    rerun.proxy.answer = answer  # type: ignore[method-assign]
    rerun.proxy.raw.clear()
    assert rerun.cli("apply", "--auto-approve")[0] == 0
    assert rerun.cli("plan", "--detailed-exitcode")[0] == 0
