"""What an answer from ARM means, read strictly.

An error answer becomes a typed :class:`~reconciler.errors.ArmError`; a body that cannot be
ARM's (an HTML page, a truncated body, the wrong shape) is :class:`UnreadableAnswer`, never
"absent": only ARM's own 404 means that, or a create would overwrite what exists. Pure: the
client (:mod:`reconciler.arm.client`) sends and retries, this module reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler.errors import (
    ArmAuthError,
    ArmConflict,
    ArmError,
    ArmNotFound,
    ArmThrottled,
    UnreadableAnswer,
)


@dataclass
class Response:
    status: int
    headers: httpx.Headers
    body: Any
    request_id: str
    url: str


def display(url: str) -> str:
    """Path only: hosts and query strings add noise and never help the reader."""
    return urlsplit(url).path or url


def error_from(
    status: int, body: Any, headers: httpx.Headers, method: str, url: str, request_id: str
) -> ArmError | UnreadableAnswer:
    if status == 404 and not is_arm_error(body) and not headers.get("x-ms-error-code"):
        # A proxy's or gateway's 404 page: read as ArmNotFound it would mean "absent".
        return UnreadableAnswer(
            "HTTP 404 without an ARM error body (not an answer from ARM; not read as absent)",
            method=method,
            url=display(url),
            request_id=request_id,
        )
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    code = str(error.get("code") or headers.get("x-ms-error-code") or f"Http{status}")
    message = str(error.get("message") or httpx.codes.get_reason_phrase(status) or "error")
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    kind: type[ArmError] = ArmError
    if status == 404:
        kind = ArmNotFound
    elif status == 409:
        kind = ArmConflict
    elif status == 429:
        kind = ArmThrottled
    elif status in (401, 403):
        kind = ArmAuthError
    return kind(
        status,
        code,
        message,
        method=method,
        url=display(url),
        target=error.get("target"),
        details=details,
        request_id=request_id,
    )


def decode(
    status: int, headers: httpx.Headers, content: bytes, method: str, url: str, request_id: str
) -> Any:
    """The JSON body of an answer (``content``, read whole by :mod:`reconciler.arm.bodies`);
    None when there is none.

    A success whose body is not JSON (a proxy's HTML page, a truncated body) is unreadable,
    never "no body": read as absent it would turn into a create that overwrites. An error
    answer may carry anything; its status says enough.
    """
    if not content:
        return None
    try:
        body = json.loads(content)
        if _within(body, MAX_DEPTH):
            return body
        why = f"JSON nested deeper than {MAX_DEPTH} levels"
    except RecursionError:  # nested past the decoder's own recursion
        why = f"JSON nested deeper than {MAX_DEPTH} levels"
    except ValueError:
        kind = headers.get("content-type", "").split(";")[0].strip() or "no content type"
        why = f"a body that is not JSON ({kind}, {len(content)} bytes)"
    if status >= 400:
        return None
    raise UnreadableAnswer(
        f"HTTP {status} with {why}",
        method=method,
        url=display(url),
        request_id=request_id,
    )


# No ARM body nests more than a dozen levels; reading and comparing walk bodies recursively,
# so a deeper one (a broken or hostile server's) is refused here, as the emulator refuses
# requests nested deeper than 64 levels.
MAX_DEPTH = 64


def _within(node: Any, levels: int) -> bool:
    """Whether ``node`` nests objects and arrays at most ``levels`` deep (the recursion is
    bounded by ``levels``, so the check itself cannot run out of stack)."""
    if not isinstance(node, (dict, list)):
        return True
    if levels == 0:
        return False
    for child in node.values() if isinstance(node, dict) else node:
        if isinstance(child, (dict, list)) and not _within(child, levels - 1):
            return False
    return True


def is_arm_error(body: Any) -> bool:
    """ARM's ``ErrorResponse``: ``{"error": {"code": ..., "message": ...}}`` (Azure.Core data
    planes may instead send only the ``x-ms-error-code`` header)."""
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and isinstance(error.get("code"), str)


def checked(response: Response, method: str) -> Response:
    """A 404 returned as a value means "absent" only when ARM itself said so."""
    if (
        response.status == 404
        and not is_arm_error(response.body)
        and not response.headers.get("x-ms-error-code")
    ):
        raise UnreadableAnswer(
            "HTTP 404 without an ARM error body (not an answer from ARM; not read as absent)",
            method=method,
            url=display(response.url),
            request_id=response.request_id,
        )
    return response


def list_page(answer: Response) -> tuple[list[Any], str | None]:
    """The items and next link of one page of an ARM list: ``{"value": [...], "nextLink"}``."""

    def bad(what: str) -> UnreadableAnswer:
        return UnreadableAnswer(
            what, method="GET", url=display(answer.url), request_id=answer.request_id
        )

    body = answer.body
    if not isinstance(body, dict):
        raise bad(f"a list page must be a JSON object, not {_json_type(body)}")
    value = body.get("value")
    if not isinstance(value, list):
        raise bad(f"a list page's 'value' must be an array, not {_json_type(value)}")
    next_link = body.get("nextLink")
    if next_link is not None and not isinstance(next_link, str):
        raise bad(f"a list page's 'nextLink' must be a string, not {_json_type(next_link)}")
    return value, next_link or None


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
