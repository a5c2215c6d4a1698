"""An answer that cannot be ARM's is an error, never "absent": read as absent, plan would say
"create" and apply would overwrite the real resource with the manifest alone.

Each fault is served by the proxy in front of the emulator on a resource that exists: plan and
apply exit 1 with one line naming the request, apply writes nothing, and once the hop behaves
again a plan shows nothing to do.
"""

from __future__ import annotations

import pytest

from tests.safety.armshapes import HTML
from tests.safety.conftest import World
from tests.safety.manifests import AOAI, GIT, WORKSPACE

WS = "/workspaces/ws-real"
CONNS = "/workspaces/ws-real/connections"
FAULTS = {
    # name: (path suffix, status, body, content type)
    "html-200-on-workspace-get": (WS, 200, HTML, "text/html"),
    "truncated-workspace": (
        WS,
        200,
        b'{"id": "/subscriptions/x", "name": "ws-re',
        "application/json",
    ),
    "array-for-a-workspace": (WS, 200, b"[]", "application/json"),
    "string-properties": (WS, 200, b'{"name": "ws-real", "properties": "x"}', "application/json"),
    "html-404-on-workspace-get": (WS, 404, HTML, "text/html"),
    # A cache or proxy answering for another resource: read as ws-real, its fields would be
    # "changed" back, or ws-real's own compared against what it never had.
    "another-workspace-on-get": (
        WS,
        200,
        b'{"id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.MachineLearningServices'
        b'/workspaces/ws-other", "name": "ws-other", "location": "westeurope", "properties": {}}',
        "application/json",
    ),
    "empty-200-on-workspace-get": (WS, 200, b"", "application/json"),
    "html-200-on-connection-list": (CONNS, 200, HTML, "text/html"),
    "array-for-a-connection-page": (CONNS, 200, b"[]", "application/json"),
    "page-without-value": (CONNS, 200, b'{"nextLink": null}', "application/json"),
    "string-item-in-a-page": (CONNS, 200, b'{"value": ["aoai"]}', "application/json"),
    # Nested past the JSON decoder's recursion, or only past what reading and comparing
    # walk (no ARM body nests more than a few levels deep).
    "nested-100000-levels": (
        WS,
        200,
        b'{"name": "ws-real", "tags": {"t": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
        "application/json",
    ),
    "nested-700-levels": (
        WS,
        200,
        b'{"name": "ws-real", "tags": {"t": ' + b"[" * 700 + b"]" * 700 + b"}}",
        "application/json",
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_an_unreadable_answer_is_one_line_exit_1_and_nothing_written(
    world: World, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    world.write(WORKSPACE, AOAI, GIT)
    assert world.cli("apply", "--auto-approve")[0] == 0
    world.write(WORKSPACE.replace("description: first", "description: second"), AOAI, GIT)
    suffix, status, body, content_type = FAULTS[fault]
    world.proxy.fault("GET", suffix, status, body, content_type=content_type)
    world.proxy.puts.clear()
    writes = world.writes()

    for command in (["plan"], ["apply", "--auto-approve"]):
        code, out, err = world.cli(*command)
        assert code == 1, (command, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert "unreadable answer to GET" in lines[0]
        if fault != "string-item-in-a-page":  # items are checked after paging, by the reader
            assert "x-ms-client-request-id" in lines[0]
        assert "Traceback" not in err and "create" not in out
    assert world.proxy.puts == [] and world.writes() == writes

    world.proxy.faults.clear()
    code, out, _ = world.cli("plan", "--detailed-exitcode")
    assert code == 2 and "1 to update" in out  # only the change that was declared
    assert world.cli("apply", "--auto-approve")[0] == 0
    assert world.cli("plan", "--detailed-exitcode")[0] == 0


def test_arms_own_404_still_means_absent(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    world.write(WORKSPACE, AOAI, GIT)
    code, out, err = world.cli("plan")
    assert code == 0, err
    assert "3 to create" in out


def test_a_404_page_on_the_workspace_list_is_not_a_missing_resource_group(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three workspaces are read with one list; a proxy's 404 page there means nothing."""
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    others = [WORKSPACE.replace("ws-real", name) for name in ("ws-two", "ws-three")]
    world.write(WORKSPACE, *others)
    assert world.cli("apply", "--auto-approve")[0] == 0
    world.proxy.fault("GET", "/workspaces", 404, HTML, content_type="text/html")
    code, out, err = world.cli("plan")
    assert code == 1, out + err
    assert "HTTP 404 without an ARM error body" in err and "create" not in out
    world.proxy.faults.clear()
    assert world.cli("plan", "--detailed-exitcode")[0] == 0


def test_an_unreadable_answer_to_a_put_names_the_put(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workspace PUT answered 201 with no body and no operation to follow: the failure names
    the request that was answered so, not a GET that was never sent."""
    monkeypatch.setenv("AOAI_KEY", "canary-key-one")
    world.write(WORKSPACE)
    world.proxy.fault("PUT", WS, 201, b"", times=1)
    code, out, err = world.cli("apply", "--auto-approve")
    assert code == 1, out + err
    failed = next(line for line in err.splitlines() if line.startswith("failed: Workspace/"))
    assert "unreadable answer to PUT" in failed, failed
