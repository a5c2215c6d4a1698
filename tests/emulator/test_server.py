"""The loopback server holds up: whatever a client sends, it answers with an ARM-shaped error
and keeps serving. Raw sockets where httpx would refuse to send the malformed request."""

from __future__ import annotations

import json
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, running
from reconciler.emulator.asgi import MAX_BODY_BYTES
from tests.linked import workspace_body

RG = "srv-rg"
WS = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces"
)
V = {"api-version": "2024-04-01"}
AUTH = {"Authorization": "Bearer t"}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with running(Emulator(resource_groups=((DEFAULT_SUBSCRIPTION, RG),))) as base:
        yield base


def _raw(url: str, request: bytes) -> tuple[int, dict[str, object]]:
    """Send bytes as they are; return the status and the JSON body of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep and b"content-length" in head.lower():
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                if len(body) >= length:
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body or b"{}")


def _still_serving(url: str) -> None:
    assert httpx.get(f"{url}{WS}/nope", params=V, headers=AUTH).status_code == 404


def _put_head(length: str, extra: str = "") -> bytes:
    return (
        f"PUT {WS}/ws1?api-version=2024-04-01 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n{extra}\r\n"
    ).encode()


@pytest.mark.parametrize("length", ["100000000000", "1e11", "-5", "abc"])
def test_a_huge_or_malformed_content_length_is_refused(url: str, length: str) -> None:
    status, body = _raw(url, _put_head(length))
    assert status in (400, 413)
    assert status == 413 if length.isdigit() else status == 400
    assert body["error"]["code"]  # type: ignore[index]
    _still_serving(url)


def test_a_body_over_the_limit_is_413(url: str) -> None:
    big = b'{"location": "eastus", "tags": {"a": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}}'
    answer = httpx.put(f"{url}{WS}/ws1", params=V, headers=AUTH, content=big)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "RequestEntityTooLarge"
    _still_serving(url)


def test_a_chunked_body_is_read_and_limited(url: str) -> None:
    def chunks(total: int) -> Iterator[bytes]:
        yield json.dumps(workspace_body())[:-1].encode() + b', "tags": {"a": "'
        for _ in range(total // 65536):
            yield b"x" * 65536
        yield b'"}}'

    ok = httpx.put(f"{url}{WS}/chunky", params=V, headers=AUTH, content=chunks(65536))
    assert ok.status_code == 202, ok.text
    got = httpx.get(f"{url}{WS}/chunky", params=V, headers=AUTH).json()
    assert len(got["tags"]["a"]) == 65536
    too_big = httpx.put(
        f"{url}{WS}/chunky2", params=V, headers=AUTH, content=chunks(MAX_BODY_BYTES + 65536)
    )
    assert too_big.status_code == 413
    _still_serving(url)


def test_deep_json_is_a_400_over_the_wire(url: str) -> None:
    deep = b'{"location": "eastus", "tags": ' + b'{"a": ' * 10_000 + b"1" + b"}" * 10_001
    answer = httpx.put(f"{url}{WS}/ws1", params=V, headers=AUTH, content=deep)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "InvalidRequestContent"
    _still_serving(url)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_emulator/resourceGroups", {}),
        ("POST", "/_emulator/resourceGroups", [1]),
        ("POST", "/_emulator/resourceGroups", "not json"),
        ("PUT", "/_emulator/playwright/eastus_0000-aaaa/tokens", [{"id": 1}]),
        ("PUT", "/_emulator/playwright/eastus_0000-aaaa/tokens", {}),
        ("PATCH", f"/_emulator/resources{WS}/ws1", [1]),
        ("PATCH", "/_emulator/resources/subscriptions/x", {}),
        ("PATCH", "/_emulator/knobs", [1]),
        ("PATCH", "/_emulator/knobs", {"page_size": "x"}),
        ("PATCH", "/_emulator/knobs", {"drop_rate": 5}),
        ("PATCH", "/_emulator/knobs", {"throttle": "yes"}),
        ("PATCH", "/_emulator/knobs", {"lro_mode": "fast"}),
    ],
)
def test_malformed_admin_requests_are_400_and_change_nothing(
    url: str, method: str, path: str, body: object
) -> None:
    before = httpx.get(f"{url}/_emulator/knobs").json()
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    answer = httpx.request(method, f"{url}{path}", content=content)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["message"]
    assert httpx.get(f"{url}/_emulator/knobs").json() == before
    _still_serving(url)
    lists = httpx.get(f"{url}{WS}", params=V, headers=AUTH)
    assert lists.status_code == 200


def test_many_concurrent_connections_are_all_answered(url: str) -> None:
    """200 clients connect at once (the old server's backlog of 5 dropped some), then each
    sends a request: every one is answered."""
    host, port = url.removeprefix("http://").split(":")
    request = (
        f"GET {WS}/nope?api-version=2024-04-01 HTTP/1.1\r\nHost: x\r\n"
        "Authorization: Bearer t\r\nConnection: close\r\n\r\n"
    ).encode()
    sockets = [socket.create_connection((host, int(port)), timeout=30) for _ in range(200)]
    try:
        for sock in sockets:
            sock.sendall(request)
        statuses = []
        for sock in sockets:
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
            statuses.append(int(data.split(b" ")[1]))
    finally:
        for sock in sockets:
            sock.close()
    assert statuses == [404] * 200


def test_the_state_file_is_private(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emulator = Emulator(state_file=state, resource_groups=((DEFAULT_SUBSCRIPTION, RG),))
    with running(emulator) as base:
        assert httpx.put(
            f"{base}{WS}/ws1", params=V, headers=AUTH, json=workspace_body()
        ).is_success
    assert stat.S_IMODE(state.stat().st_mode) == 0o600


def test_answers_are_not_held_back_by_nagles_algorithm() -> None:
    """asyncio turns TCP_NODELAY on for accepted connections only when the listening socket
    says IPPROTO_TCP; without it each keep-alive answer waited ~40 ms (90 GET/s)."""
    from reconciler.emulator.server import make_server

    server = make_server(Emulator())
    try:
        assert server.socket.proto == socket.IPPROTO_TCP
    finally:
        server.socket.close()
