"""A loopback proxy in front of the emulator that answers the way real ARM does.

The emulator's answers are cleaner than Azure's. Real GETs carry explicit nulls for unset
fields, empty strings, lowercased ID segments, server-only fields no spec documents, fields of
newer api-versions at their defaults, and the identity type spaced as ``SystemAssigned,
UserAssigned``. Between the client and the emulator this proxy rewrites every answer into that
shape, and on request serves what a misbehaving hop serves instead (an HTML page with 200, a
truncated body, JSON of the wrong shape, a 404 page). It records the PUT bodies the client
sends, so tests can check what was written.

It is a real HTTP server on loopback: the CLI under test talks to it exactly as to Azure.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

WORKSPACE_NULLS = (
    "applicationInsights",
    "containerRegistry",
    "imageBuildCompute",
    "primaryUserAssignedIdentity",
    "encryption",
    "serviceManagedResourcesSettings",
    "sharedPrivateLinkResources",
    "workspaceHubConfig",
)
CONNECTION_NULLS = ("expiryTime", "valueFormat", "value")
TELEMETRY_KEY = "5d3c0e2b-0000-4000-8000-00000000beef"


def lowercase_id(value: str) -> str:
    """ARM's habit: ``/subscriptions/S/resourcegroups/rg/providers/microsoft.x/...``."""
    parts = value.split("/")
    out = []
    for i, part in enumerate(parts):
        previous = parts[i - 1].lower() if i else ""
        keep = previous in ("subscriptions",) or (i == len(parts) - 1)
        out.append(part if keep else part.lower())
    return "/".join(out)


def realistic(body: Any) -> Any:
    """``body`` (a resource, or a list page of them) as real ARM would write it."""
    if isinstance(body, dict) and isinstance(body.get("value"), list):
        return {**body, "value": [realistic(item) for item in body["value"]]}
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        return body
    out = dict(body)
    props = dict(out["properties"])
    kind = str(out.get("type", "")).lower()
    if isinstance(out.get("id"), str):
        out["id"] = lowercase_id(out["id"])
    if kind.endswith("/connections"):
        for name in CONNECTION_NULLS:
            props.setdefault(name, None)
        if isinstance(props.get("createdByWorkspaceArmId"), str):
            props["createdByWorkspaceArmId"] = lowercase_id(props["createdByWorkspaceArmId"])
        props.setdefault("useWorkspaceManagedIdentity", False)  # a 2025 field, at its default
    elif kind.endswith("/workspaces"):
        for name in WORKSPACE_NULLS:
            props.setdefault(name, None)
        props.setdefault("description", "")
        props["sdkTelemetryAppInsightsKey"] = TELEMETRY_KEY  # server-only, in no spec
        props.setdefault("enableDataIsolation", False)  # 2024-04-01, at its default
        out.setdefault("kind", "Default")  # 2024-04-01, at its default
        for name in ("keyVault", "storageAccount"):
            if isinstance(props.get(name), str):
                props[name] = lowercase_id(props[name])
        identity = out.get("identity")
        if isinstance(identity, dict) and identity.get("type") == "SystemAssigned,UserAssigned":
            out["identity"] = {**identity, "type": "SystemAssigned, UserAssigned"}
    out["properties"] = props
    return out


@dataclass
class Fault:
    """What to serve instead of the emulator's answer, for requests matching ``method`` and a
    path ending in ``suffix`` (case-insensitive); ``times`` answers, then pass through."""

    method: str
    suffix: str
    status: int
    body: bytes
    content_type: str = "application/json"
    times: int = 1_000_000


HTML = b"<!DOCTYPE html><html><body><h1>Sign in to continue</h1></body></html>"


@dataclass
class Proxy:
    upstream: str
    url: str = ""
    puts: list[tuple[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    shape: Callable[[Any], Any] = realistic
    # lowercased resource path -> provisioningStates to show on its next GETs, one per GET,
    # the last one kept (with Retry-After: 0, so a client polling it does not wait)
    states: dict[str, list[str]] = field(default_factory=dict)
    # (method, lowercased path suffix, writer): answers written raw to the socket instead
    # (tests/bombs.py: answers too large to read)
    raw: list[tuple[str, str, Callable[[BaseHTTPRequestHandler], None]]] = field(
        default_factory=list
    )

    def fault(self, method: str, suffix: str, status: int, body: bytes, **kw: Any) -> None:
        self.faults.append(Fault(method, suffix.lower(), status, body, **kw))

    def html(self, method: str, suffix: str) -> None:
        self.fault(method, suffix, 200, HTML, content_type="text/html")

    # writers whose requests reach the emulator first (Azure takes them; the answer is spoiled)
    forwarded: list[Callable[[BaseHTTPRequestHandler], None]] = field(default_factory=list)

    def hostile(
        self,
        method: str,
        suffix: str,
        writer: Callable[[BaseHTTPRequestHandler], None],
        *,
        forward: bool = False,
    ) -> None:
        """Answer requests matching ``method`` and ``suffix`` with what ``writer`` writes;
        ``forward``: once the emulator has served the request (its answer left unsent)."""
        self.raw.append((method, suffix.lower(), writer))
        if forward:
            self.forwarded.append(writer)

    def raw_for(self, method: str, target: str) -> Callable[[BaseHTTPRequestHandler], None] | None:
        path = target.split("?", 1)[0].lower()
        for wanted, suffix, writer in self.raw:
            if wanted == method and path.endswith(suffix):
                return writer
        return None

    def put_bodies(self, fragment: str) -> list[Any]:
        return [body for path, body in self.puts if fragment.lower() in path.lower()]

    def _fault_for(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and path.lower().endswith(fault.suffix):
                fault.times -= 1
                return fault
        return None

    def answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        path = target.split("?", 1)[0]
        if method == "PUT" and body:
            self.puts.append((path, json.loads(body)))
        fault = self._fault_for(method, path)
        if fault is not None:
            return fault.status, {"Content-Type": fault.content_type}, fault.body
        forwarded = {
            k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")
        }
        with httpx.Client(timeout=30) as client:
            reply = client.request(method, self.upstream + target, headers=forwarded, content=body)
        out_headers = {
            k: v.replace(self.upstream, self.url)
            for k, v in reply.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        content = reply.content
        if content and "json" in reply.headers.get("content-type", ""):
            data = self.shape(reply.json())
            states = self.states.get(path.lower()) if method == "GET" else None
            if states and isinstance(data, dict) and isinstance(data.get("properties"), dict):
                state = states.pop(0) if len(states) > 1 else states[0]
                data = {**data, "properties": {**data["properties"], "provisioningState": state}}
                out_headers["Retry-After"] = "0"
            content = json.dumps(data).replace(self.upstream, self.url).encode()
        return reply.status_code, out_headers, content


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        writer = self.server.proxy.raw_for(self.command, self.path)
        if writer is not None:
            self.close_connection = True
            if writer in self.server.proxy.forwarded:
                self.server.proxy.answer(self.command, self.path, dict(self.headers.items()), body)
            writer(self)
            return
        status, headers, content = self.server.proxy.answer(
            self.command, self.path, dict(self.headers.items()), body
        )
        if status == 0:  # a fault with status 0: the connection drops, no answer at all
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Silent: tests read stderr."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, proxy: Proxy) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.proxy = proxy


@contextlib.contextmanager
def armlike(upstream: str) -> Iterator[Proxy]:
    """A proxy to ``upstream`` (the emulator's URL) on a free loopback port."""
    proxy = Proxy(upstream.rstrip("/"))
    server = _Server(proxy)
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
