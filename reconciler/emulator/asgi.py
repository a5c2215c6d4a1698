"""The emulator as an ASGI application: HTTP framing in front of :meth:`Emulator.handle`.

One app, two transports: uvicorn serves it on loopback (:mod:`reconciler.emulator.server`),
and ``httpx.ASGITransport`` runs it in-process for unit tests. This module owns what an HTTP
server must get right before the emulator sees a request: the body limit (413, also when a
chunked body grows past it), a malformed ``Content-Length`` (ARM-shaped 400), the latency
knob (an ``await``, so a slow answer never blocks other connections) and dropped connections.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from reconciler.emulator.app import Emulator
from reconciler.emulator.wire import Request, Response, arm_error

MAX_BODY_BYTES = 4 * 1024 * 1024  # ARM refuses request content over 4 MiB

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ConnectionDropped(Exception):
    """Raised after the status line to make the server close the connection mid-answer: the
    client sees a dropped connection (the ``drop_rate`` knob)."""


class _QuietDrops(logging.Filter):
    """uvicorn logs an app's exception with its traceback; a drop is on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


def too_large() -> Response:
    return arm_error(
        413,
        "RequestEntityTooLarge",
        f"The request content exceeds the maximum allowed size of {MAX_BODY_BYTES} bytes.",
        headers={"Connection": "close"},
    )


def bad_content_length(value: str) -> Response:
    return arm_error(
        400,
        "InvalidContentLength",
        f"The Content-Length header value {value[:40]!r} is not a valid length.",
        headers={"Connection": "close"},
    )


def invalid_http(message: str) -> bytes:
    """An ARM-shaped 400 as raw bytes, for requests the HTTP parser itself refuses."""
    body = json.dumps(
        {"error": {"code": "InvalidHttpRequest", "message": f"{message} The request is malformed."}}
    ).encode()
    return (
        b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
    )


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _base_url(scope: Scope, headers: dict[str, str]) -> str:
    """Links point at the host the request was sent to, as a real server's do."""
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


def answer(emulator: Emulator, request: Request) -> Response:
    """The emulator's answer; a bug in it is an ARM-shaped 500, never a dead connection."""
    try:
        return emulator.handle(request)
    except Exception as exc:
        logging.getLogger(__name__).exception(
            "emulator failed on %s %s", request.method, request.path
        )
        return arm_error(500, "InternalServerError", f"The emulator failed: {type(exc).__name__}.")


class EmulatorApp:
    """ASGI 3 application around one :class:`Emulator`."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = _headers(scope)
        method = scope["method"]
        body = await self._body(headers, receive)
        if isinstance(body, Response):
            await self._send(send, body, method)
            return
        if body is None:
            return  # the client went away
        latency = self.emulator.knobs.latency_ms
        if latency > 0:
            await asyncio.sleep(latency / 1000.0)
        target = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string") or b""
        request = Request.build(
            method,
            target.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else ""),
            headers,
            body,
            _base_url(scope, headers),
        )
        response = answer(self.emulator, request)
        if response.drop_connection:
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-length", b"1")],
                }
            )
            raise ConnectionDropped
        await self._send(send, response, method)

    @staticmethod
    async def _body(headers: dict[str, str], receive: Receive) -> bytes | Response | None:
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return bad_content_length(declared)
            if int(declared) > MAX_BODY_BYTES:
                return too_large()
        chunks = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks += message.get("body", b"")
            if len(chunks) > MAX_BODY_BYTES:
                return too_large()
            if not message.get("more_body", False):
                return bytes(chunks)

    @staticmethod
    async def _send(send: Send, response: Response, method: str) -> None:
        payload = response.encoded()
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
        if payload:
            headers.append((b"content-type", b"application/json; charset=utf-8"))
        headers.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else payload})

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
