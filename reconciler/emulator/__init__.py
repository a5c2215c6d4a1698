"""A local emulator of the Azure APIs the reconciler uses (like Azurite is for storage).

Names are loaded on first use, so that the CLI's parser can read the emulator's options
(:mod:`reconciler.emulator.command`) without importing the server and its dependencies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.emulator.app import DEFAULT_SUBSCRIPTION, Emulator
    from reconciler.emulator.knobs import Knobs, LroMode
    from reconciler.emulator.server import running, transport

__all__ = ["DEFAULT_SUBSCRIPTION", "Emulator", "Knobs", "LroMode", "running", "transport"]
_HOMES = {
    "DEFAULT_SUBSCRIPTION": "app",
    "Emulator": "app",
    "Knobs": "knobs",
    "LroMode": "knobs",
    "running": "server",
    "transport": "server",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"reconciler.emulator.{_HOMES[name]}"), name)
