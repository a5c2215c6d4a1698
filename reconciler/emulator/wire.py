"""The emulator's request and response values, independent of any HTTP server.

The emulator is a function from :class:`Request` to :class:`Response`; the loopback server and
the in-process httpx transport are thin adapters around it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    base_url: str = "http://127.0.0.1"

    @classmethod
    def build(
        cls, method: str, target: str, headers: dict[str, str], body: bytes, base_url: str
    ) -> Request:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        return cls(
            method.upper(),
            parts.path,
            query,
            {k.lower(): v for k, v in headers.items()},
            body,
            base_url.rstrip("/"),
        )

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop_connection: bool = False  # the server closes the socket without answering

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


def arm_error(
    status: int,
    code: str,
    message: str,
    *,
    target: str | None = None,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An ARM ``ErrorResponse`` body, as every management-plane failure is shaped."""
    error: dict[str, Any] = {"code": code, "message": message}
    if target is not None:
        error["target"] = target
    if details:
        error["details"] = details
    return Response(status, {"error": error}, dict(headers or {}))
