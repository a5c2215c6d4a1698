"""Realism knobs: how the emulator behaves, settable at start and at run time.

Everything random is drawn from one seeded generator, so a run with the same knobs and the
same requests behaves the same way. Every change is validated as a whole before any of it is
applied: a knob of the wrong type or out of range is refused (400 over the admin API, a usage
error on the command line) and the emulator keeps its previous settings.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any


class LroMode(StrEnum):
    """How a workspace PUT answers; real ARM services use each of these."""

    ASYNC_OPERATION = "202-async"  # 202 + Azure-AsyncOperation + Location + Retry-After
    LOCATION = "202-location"  # 202 + Location + Retry-After
    BODY_ASYNC = "200-async"  # 200 + body + Azure-AsyncOperation (never 201: not defined)
    RESOURCE_STATE = "200-state"  # 200 + body; the client polls provisioningState


# What each knob does, for `reconciler emulator --help` and the README.
HELP = {
    "latency_ms": "milliseconds added before every answer",
    "provisioning_seconds": "seconds a workspace PUT or DELETE stays in progress",
    "retry_after_seconds": "Retry-After of long-running operations",
    "lro_mode": "how a workspace PUT answers: " + ", ".join(m.value for m in LroMode),
    "lro_failure_rate": "share of workspace PUTs whose provisioning ends Failed",
    "lro_cancel_rate": "share of workspace PUTs whose provisioning ends Canceled",
    "error_500_rate": "share of requests answered 500 InternalServerError",
    "error_503_rate": "share of requests answered 503 ServiceUnavailable with Retry-After",
    "drop_rate": "share of requests whose connection is dropped without a full answer",
    "page_size": "items per page of a list (nextLink beyond)",
    "throttle": "enforce ARM's token buckets (429 SubscriptionRequestsThrottled)",
    "throttle_scale": "multiplies the buckets' sizes and refill rates",
    "listsecrets_forbidden": "listsecrets answers 403 AuthorizationFailed",
    "shapes": "answer shapes: clean (what was written plus server fields) or realistic "
    "(explicit nulls, empty strings, lower-cased ids, server-only and newer-version fields)",
    "strict_dependencies": "a new workspace needs keyVault and storageAccount, and any given "
    "must be a well-formed ARM id of its type, and a project an existing hub in "
    "hubResourceId (Azure's rule, on by default; off accepts workspaces without them)",
    "expire_tokens": "the next N authenticated requests answer 401 ExpiredAuthenticationToken",
    "seed": "seed of injected faults and of generated ids (workspaceId, principalId, "
    "operation and request ids, tokens); without it ids are fresh on every start",
}
_RATES = {
    "lro_failure_rate",
    "lro_cancel_rate",
    "error_500_rate",
    "error_503_rate",
    "drop_rate",
}


@dataclass
class Knobs:
    latency_ms: float = 0.0
    provisioning_seconds: float = 0.0
    retry_after_seconds: int = 1
    lro_mode: LroMode = LroMode.ASYNC_OPERATION
    lro_failure_rate: float = 0.0
    lro_cancel_rate: float = 0.0
    error_500_rate: float = 0.0
    error_503_rate: float = 0.0
    drop_rate: float = 0.0
    page_size: int = 50
    throttle: bool = False
    throttle_scale: float = 1.0  # multiplies bucket sizes and refill rates
    listsecrets_forbidden: bool = False
    strict_dependencies: bool = True
    shapes: str = "realistic"  # or "clean" (see reconciler.emulator.shapes)
    expire_tokens: int = 0  # the next N authenticated requests answer 401 (token expired)
    seed: int | None = None  # faults draw from seed 0 when unset; ids are fresh unless set

    def __post_init__(self) -> None:
        self.update(asdict(self))

    def update(self, changes: Any) -> None:
        """Validate every change, then apply them all (or none)."""
        if not isinstance(changes, dict):
            raise ValueError("knobs are a JSON object of knob names and values")
        names = {f.name: f for f in fields(self)}
        unknown = sorted(set(changes) - set(names))
        if unknown:
            raise ValueError(f"unknown knob(s): {', '.join(unknown)}")
        checked = {key: check_knob(key, value) for key, value in changes.items()}
        for key, value in checked.items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["lro_mode"] = self.lro_mode.value
        return data


def check_knob(key: str, value: Any) -> Any:
    """The value a knob takes, or ValueError saying what it must be."""
    default = getattr(Knobs, key, None)
    if key == "seed":
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise ValueError(f"seed must be a whole number, got {value!r}")
    if key == "shapes":
        if value not in ("clean", "realistic"):
            raise ValueError(f"shapes must be clean or realistic, got {value!r}")
        return value
    if key == "lro_mode":
        try:
            return LroMode(value)
        except ValueError:
            raise ValueError(
                f"lro_mode must be one of {', '.join(m.value for m in LroMode)}, got {value!r}"
            ) from None
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{key} must be a whole number >= 0, got {value!r}")
        if key == "page_size" and value < 1:
            raise ValueError(f"page_size must be at least 1, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} must be a number, got {value!r}")
    if value < 0 or (key in _RATES and value > 1):
        limit = "between 0 and 1" if key in _RATES else ">= 0"
        raise ValueError(f"{key} must be {limit}, got {value!r}")
    return float(value)
