"""The Playwright Testing data plane's access-token list (api-version 2024-12-01).

Supports the OData options the reference page names — ``$filter`` (``eq ne gt ge lt le``
joined by ``and``/``or``), ``$orderby``, ``$top``, ``$skip``, ``$select`` — a default page of
10 with ``nextLink``, ``x-ms-client-request-id`` echoed, and Azure.Core errors carrying the
``x-ms-error-code`` header.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from reconciler.emulator.state import AccessToken, State
from reconciler.emulator.wire import Request, Response

API_VERSION = "2024-12-01"
PAGE_SIZE = 10
FIELDS = ("id", "name", "jwtToken", "createdAt", "expiryAt", "state")
_ACCOUNT = re.compile(r"^[A-Za-z0-9]+(_[A-Za-z0-9]+)*(-[A-Za-z0-9]+)+$")
_CLAUSE = re.compile(
    r"^\s*(\w+)\s+(eq|ne|gt|ge|lt|le)\s+('(?:[^']|'')*'|[\w:.\-+]+)\s*$", re.IGNORECASE
)


def core_error(status: int, code: str, message: str) -> Response:
    return Response(
        status, {"error": {"code": code, "message": message}}, {"x-ms-error-code": code}
    )


class QueryError(ValueError):
    pass


def _literal(text: str) -> str:
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return text


def _compile_filter(expression: str) -> Callable[[dict[str, Any]], bool]:
    """``or`` of ``and`` groups of ``field op literal`` clauses; string comparison."""
    groups = []
    for group in re.split(r"\s+or\s+", expression.strip(), flags=re.IGNORECASE):
        clauses = []
        for clause in re.split(r"\s+and\s+", group, flags=re.IGNORECASE):
            match = _CLAUSE.match(clause)
            if match is None or match.group(1) not in FIELDS:
                raise QueryError(f"Invalid $filter clause: {clause.strip()!r}")
            clauses.append((match.group(1), match.group(2).lower(), _literal(match.group(3))))
        groups.append(clauses)
    ops: dict[str, Callable[[str, str], bool]] = {
        "eq": lambda a, b: a == b,
        "ne": lambda a, b: a != b,
        "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b,
    }

    def matches(item: dict[str, Any]) -> bool:
        return any(
            all(ops[op](str(item.get(f, "")), value) for f, op, value in clauses)
            for clauses in groups
        )

    return matches


def _int_option(request: Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise QueryError(f"{name} must be a non-negative integer, got {raw!r}")
    return int(raw)


class PlaywrightService:
    def __init__(self, state: State) -> None:
        self.state = state

    @staticmethod
    def valid_account(account: str) -> bool:
        """An account id the service would serve (``{region}_{guid}``)."""
        return len(account) <= 64 and bool(_ACCOUNT.match(account))

    def seed(self, account: str, tokens: list[dict[str, Any]]) -> None:
        self.state.playwright[account] = [
            AccessToken(
                id=t["id"],
                name=t["name"],
                createdAt=t["createdAt"],
                expiryAt=t["expiryAt"],
                state=t.get("state", "Active"),
                jwtToken=t.get("jwtToken", f"jwt-{t['id']}"),
            )
            for t in tokens
        ]

    def list_tokens(self, request: Request, account: str) -> Response:
        if request.query.get("api-version") != API_VERSION:
            return core_error(
                400, "UnsupportedApiVersion", f"The api-version must be {API_VERSION}."
            )
        if not self.valid_account(account):
            return core_error(400, "InvalidAccountId", f"Invalid account id '{account}'.")
        tokens = self.state.playwright.get(account)
        if tokens is None:
            return core_error(404, "AccountNotFound", f"Account '{account}' was not found.")
        try:
            items = [asdict(t) for t in tokens]
            if "$filter" in request.query:
                items = [i for i in items if _compile_filter(request.query["$filter"])(i)]
            for part in reversed(
                [p.strip() for p in request.query.get("$orderby", "").split(",") if p.strip()]
            ):
                field, _, direction = part.partition(" ")
                if field not in FIELDS or direction.strip().lower() not in ("", "asc", "desc"):
                    raise QueryError(f"Invalid $orderby: {part!r}")
                items.sort(key=lambda i: str(i[field]), reverse=direction.strip().lower() == "desc")
            skip = _int_option(request, "$skip") or 0
            top = _int_option(request, "$top")
            selected = [s.strip() for s in request.query.get("$select", "").split(",") if s.strip()]
            unknown = [s for s in selected if s not in FIELDS]
            if unknown:
                raise QueryError(f"Invalid $select field(s): {', '.join(unknown)}")
        except QueryError as exc:
            return core_error(400, "InvalidQueryParameter", str(exc))
        remaining = items[skip:] if top is None else items[skip : skip + top]
        page = remaining[:PAGE_SIZE]
        if selected:
            page = [{k: v for k, v in i.items() if k in selected} for i in page]
        body: dict[str, Any] = {"value": page, "nextLink": None}
        if len(remaining) > PAGE_SIZE:
            query = {**request.query, "$skip": str(skip + PAGE_SIZE)}
            if top is not None:
                query["$top"] = str(top - PAGE_SIZE)
            body["nextLink"] = f"{request.base_url}{request.path}?{urlencode(query)}"
        return Response(200, body)
