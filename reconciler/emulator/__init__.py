"""A local emulator of the Azure APIs the reconciler uses (like Azurite is for storage)."""

from reconciler.emulator.app import DEFAULT_SUBSCRIPTION, Emulator
from reconciler.emulator.knobs import Knobs, LroMode
from reconciler.emulator.server import running, transport

__all__ = ["DEFAULT_SUBSCRIPTION", "Emulator", "Knobs", "LroMode", "running", "transport"]
