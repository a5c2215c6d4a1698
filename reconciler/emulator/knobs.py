"""Realism knobs: how the emulator behaves, settable at start and at run time.

Everything random is drawn from one seeded generator, so a run with the same knobs and the
same requests behaves the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any


class LroMode(StrEnum):
    """How a workspace PUT answers; real ARM services use each of these."""

    ASYNC_OPERATION = "202-async"  # 202 + Azure-AsyncOperation + Location + Retry-After
    LOCATION = "202-location"  # 202 + Location + Retry-After
    CREATED_ASYNC = "201-async"  # 201/200 + body + Azure-AsyncOperation
    RESOURCE_STATE = "200-state"  # 201/200 + body; the client polls provisioningState


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
    expire_tokens: int = 0  # the next N authenticated requests answer 401 (token expired)
    seed: int = 0

    def update(self, changes: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown knob(s): {', '.join(unknown)}")
        for key, value in changes.items():
            setattr(self, key, LroMode(value) if key == "lro_mode" else value)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["lro_mode"] = self.lro_mode.value
        return data
