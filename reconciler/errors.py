"""The one error hierarchy of the reconciler.

    ReconcilerError
    ├── ManifestError      bad input: carries every problem found, each with file:line:column
    ├── SecretError        a secret reference that cannot be resolved (never the value)
    ├── UsageError         a command used wrongly
    ├── OutputError        an output file could not be written
    ├── TransportError     no answer from the service after retries (cause: the httpx error)
    ├── UnreadableAnswer   an answer that is not what ARM sends (HTML, truncated, wrong shape)
    ├── UnsafeUrlError     a URL that would send a request (and a token) off the endpoint
    ├── DeadlineExceeded   a wait would cross the overall deadline (apply --deadline)
    └── ArmError           the service answered with an error: code, message, request id
        ├── ArmNotFound        404
        ├── ArmConflict        409 (AnotherOperationInProgress …)
        ├── ArmThrottled       429 after retries
        ├── ArmAuthError       401 / 403
        └── OperationFailed    a long-running operation ended Failed or Canceled

Anything raised from a lower layer (httpx, ruamel) is chained as ``__cause__`` and never
reaches the user as a traceback: the CLI prints ``str(error)`` and exits non-zero.

A :class:`ManifestError` carries :class:`Problem` values, each pinned to a :class:`Position`:
they are defined here, at the bottom of the layers, so that the manifest reader that finds
problems and every layer that reports them share them without importing upwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, order=True)
class Position:
    """1-based line and column, as editors show them."""

    line: int
    column: int


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, pinned to where it was written."""

    file: Path
    position: Position | None
    field: str
    message: str

    def render(self) -> str:
        where = (
            f"{self.file}:{self.position.line}:{self.position.column}"
            if self.position
            else (str(self.file))
        )
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ReconcilerError(Exception):
    """Base of every error the CLI reports as one clear line per problem."""

    exit_code = 1


class ManifestError(ReconcilerError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


class SecretError(ReconcilerError):
    pass


class UsageError(ReconcilerError):
    pass


class TransportError(ReconcilerError):
    """The request never got an answer (connection refused, reset, timed out)."""

    def __init__(
        self, message: str, *, request_id: str | None = None, refused: bool = False
    ) -> None:
        self.request_id = request_id
        self.refused = refused  # the connection was never made: the request never left
        suffix = f" (x-ms-client-request-id {request_id})" if request_id else ""
        super().__init__(f"{message}{suffix}")


class UnreadableAnswer(ReconcilerError):
    """An answer that cannot be what ARM sent: a proxy's HTML page, a truncated or non-JSON
    body, JSON of the wrong shape, a 404 without an ARM error body.

    Never read as "absent" (that would turn into a create that overwrites what exists).
    """

    def __init__(self, what: str, *, method: str, url: str, request_id: str | None) -> None:
        self.request_id = request_id
        rid = f" (x-ms-client-request-id {request_id})" if request_id else ""
        super().__init__(f"unreadable answer to {method} {url}: {what}{rid}")


class UnsafeUrlError(ReconcilerError):
    """A URL from a response or a manifest that leaves the endpoint in use: never sent."""


class ArmError(ReconcilerError):
    """An error answer from Azure, as one line a user can act on and quote to support."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        method: str = "",
        url: str = "",
        target: str | None = None,
        details: Sequence[dict[str, Any]] = (),
        request_id: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = tuple(details)
        self.request_id = request_id
        self.method = method
        self.url = url
        where = f" on {method} {url}" if method else ""
        target_text = f" [{target}]" if target else ""
        detail_text = "".join(
            f"; {d.get('target') or ''}: {d.get('message') or d.get('code')}" for d in self.details
        )
        rid = f" (x-ms-client-request-id {request_id})" if request_id else ""
        # A long-running operation's failure (status 0) had no HTTP status of its own.
        answered = f"HTTP {status}{where}" if status else where.strip()
        tail = f" — {answered}" if answered else ""
        super().__init__(f"{code}{target_text}: {message}{detail_text}{tail}{rid}")


class ArmNotFound(ArmError):
    pass


class ArmConflict(ArmError):
    pass


class ArmThrottled(ArmError):
    pass


class ArmAuthError(ArmError):
    pass


class OperationFailed(ArmError):
    pass


class OutputError(ReconcilerError):
    """An output file (a saved plan, an export, a CI summary) could not be written."""


class DeadlineExceeded(ReconcilerError):
    """Waiting any longer (to retry, to pace, for a conflict to clear) would pass the deadline."""
