"""A workspace's notebook access token (``listNotebookAccessToken``, at the api-version the
workspace kind declares for it).

Both tokens are secrets: they are shown redacted unless asked for, and inside GitHub Actions
a shown token is first registered with ``::add-mask::`` so the log masks it: on stderr, which
the runner reads for workflow commands too (draining it before stdout) and which a job's
``$(…)`` does not capture, and, in text, on stdout ahead of the token as well. JSON stays JSON.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.arm.client import ArmClient
from reconciler.errors import ArmError, ArmNotFound, ReconcilerError
from reconciler.kinds.workspace import WORKSPACE
from reconciler.manifest.model import Address
from reconciler.render import safe

REDACTED = "(redacted; --show-secrets to print)"


_TOKEN = re.compile(r"[\x21-\x7e]*")  # printable ASCII, no space: what a JWT or opaque token is


def _token_like(value: Any) -> bool:
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def _text(value: Any) -> str:
    """A field as shown: JSON null (or absence) is blank, never the word "None"."""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class NotebookToken:
    host_name: str
    public_dns: str
    notebook_resource_id: str
    token_type: str
    scope: str
    expires_at: datetime | None  # None: the answer did not say
    access_token: str
    refresh_token: str


async def fetch(
    client: ArmClient, workspace: Address, *, api_version: str = "", now: datetime | None = None
) -> NotebookToken:
    """The notebook token, asked at the version the workspace's manifest is for ("": default)."""
    action = "listNotebookAccessToken"
    kind = WORKSPACE.at(api_version)
    url = f"{kind.path(workspace)}/{action}"
    try:
        answer = await client.request(
            "POST",
            url,
            params={"api-version": kind.action_api_version(action)},
            kind=kind.call(action),
        )
    except ArmNotFound as error:
        raise ReconcilerError(
            f"workspace {workspace.name!r} does not exist in resource group "
            f"{workspace.resource_group!r} ({error.code}; request "
            f"{error.request_id}); apply the manifests first"
        ) from error
    except ArmError as error:
        if error.code == "NotebookPreparationError":
            raise ReconcilerError(
                f"the notebook of workspace {workspace.name!r} is not ready: "
                f"{error.message} (request {error.request_id})"
            ) from error
        raise
    body = _token_body(answer.body, f"{workspace.name!r} (request {answer.request_id})")
    try:
        expires_in = _seconds(body.get("expiresIn"))
    except ValueError:
        raise ReconcilerError(
            f"unreadable answer to listNotebookAccessToken of workspace {workspace.name!r}: "
            f"expiresIn {_shown(body.get('expiresIn'))} is not a number of seconds from 0 to "
            f"ten years (request {answer.request_id})"
        ) from None
    moment = now or datetime.now(UTC)
    return NotebookToken(
        host_name=_text(body.get("hostName")),
        public_dns=_text(body.get("publicDns")),
        notebook_resource_id=_text(body.get("notebookResourceId")),
        token_type=_text(body.get("tokenType")),
        scope=_text(body.get("scope")),
        expires_at=None if expires_in is None else moment + timedelta(seconds=expires_in),
        access_token=_text(body.get("accessToken")),
        refresh_token=_text(body.get("refreshToken")),
    )


def _token_body(answer: Any, which: str) -> dict[str, Any]:
    """The answer as a token's fields, or refused: ``which`` names the workspace and request."""
    # An answer that is not an object is no token (read as {} it printed blanks and exit 0).
    body = answer if isinstance(answer, dict) else None
    tokens = [body.get("accessToken"), body.get("refreshToken")] if body is not None else []
    if (
        body is None
        # No access token is no answer to "give me the token" (it printed "None" or a blank).
        or not body.get("accessToken")
        or any(t is not None and not _token_like(t) for t in tokens)
    ):
        # A token with a line break would break out of `::add-mask::` into a workflow command
        # of the server's choosing.
        raise ReconcilerError(
            f"unreadable answer to listNotebookAccessToken of workspace {which}: not a token"
        )
    return body


_LONGEST = 10 * 365 * 86400  # no token lives ten years: a larger value is no duration either


def _seconds(value: Any) -> float | None:
    """``expiresIn`` as seconds: None where the answer says nothing (absent or null: the
    expiry is unknown, never "now", which sent scripts refreshing forever); a ValueError where
    it is no number of seconds (text, a flag, negative, beyond ten years)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(value)
    if not math.isfinite(value) or not 0 <= value <= _LONGEST:
        raise ValueError(value)
    return float(value)


def _shown(value: Any) -> str:
    """A served value in one line of an error, cut short: the server's words, not ours."""
    text = json.dumps(value)
    return ascii(text[:40] + ("…" if len(text) > 40 else ""))[1:-1]


def masks(token: NotebookToken, *, show_secrets: bool, github_actions: bool) -> str:
    """The ``::add-mask::`` lines for the tokens about to be shown ("" when none is shown or
    not in GitHub Actions): written to stderr first, so the mask reaches the runner even when
    stdout is captured (``TOKEN=$(… | jq -r .accessToken)``) and never breaks its JSON."""
    if not (show_secrets and github_actions):
        return ""
    values = (token.access_token, token.refresh_token)
    # Escaped as @actions/core escapes a command's data: the runner unescapes %25 (and %0D,
    # %0A) before masking, so a token holding "%0A" unescaped would register another value.
    return "".join(f"::add-mask::{value.replace('%', '%25')}\n" for value in values if value)


def render(token: NotebookToken, *, fmt: str, show_secrets: bool, github_actions: bool) -> str:
    """The token for people (text) or machines (json); masks first when printing secrets."""
    access = token.access_token if show_secrets else REDACTED
    refresh = token.refresh_token if show_secrets else REDACTED
    lines: list[str] = []
    if fmt != "json":
        # Text is read on the job's log as it is: its masks come first on stdout too, ahead of
        # the token (the runner drains each stream in order). JSON is for a parser: stderr only.
        lines += masks(token, show_secrets=show_secrets, github_actions=github_actions).splitlines()
    fields = {
        "hostName": token.host_name,
        "publicDns": token.public_dns,
        "notebookResourceId": token.notebook_resource_id,
        "tokenType": token.token_type,
        "scope": token.scope,
        "expiresAt": (
            token.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ") if token.expires_at else None
        ),
        "accessToken": access,
        "refreshToken": refresh,
    }
    if fmt == "json":
        # Machines read a value or its absence: null and a flag, never a sentence in its place.
        document: dict[str, Any] = dict(fields)
        if not show_secrets:
            document.update(accessToken=None, refreshToken=None, redacted=True)
        # The service's words as \u escapes where a log would run them (``##vso[`` anywhere
        # in a line): the same data for a parser.
        lines.append(safe.json_text(json.dumps(document, indent=2)))
    else:
        width = max(len(k) for k in fields)
        # The service's words, escaped: nothing it sends can start a workflow command.
        shown = {**fields, "expiresAt": fields["expiresAt"] or "unknown"}
        lines += [safe.terminal(f"{k.ljust(width)}  {v}") for k, v in shown.items()]
    return "\n".join(lines) + "\n"
