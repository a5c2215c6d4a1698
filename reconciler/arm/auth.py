"""Where bearer tokens come from, and which endpoints may receive them.

Against Azure: azure-identity's ``DefaultAzureCredential`` (environment, workload identity,
managed identity, Azure CLI …) for the scope of the API being called. Against a loopback
endpoint (the emulator) a static development token, so no login is needed. Plain ``http://``
is refused except for loopback: a bearer token must never cross a network in the clear.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from reconciler.arm.hosts import check_endpoint as check_endpoint  # re-exported
from reconciler.arm.hosts import is_loopback
from reconciler.errors import UsageError

ARM_SCOPE = "https://management.azure.com/.default"
PLAYWRIGHT_SCOPE = "https://playwright.microsoft.com/.default"
DEFAULT_ENDPOINT = "https://management.azure.com"
ENDPOINT_ENV = "RECONCILER_ARM_ENDPOINT"


class TokenProvider(Protocol):
    async def token(self) -> str: ...

    async def invalidate(self) -> None:
        """Forget a cached token (after a 401), so the next call fetches a fresh one."""
        ...

    async def close(self) -> None: ...


class StaticToken:
    """For the emulator: it accepts any bearer token."""

    def __init__(self, value: str = "reconciler-development-token") -> None:
        self.value = value

    async def token(self) -> str:
        return self.value

    async def invalidate(self) -> None:
        return None

    async def close(self) -> None:
        return None


class AzureIdentityToken:
    """``DefaultAzureCredential`` for one scope, refreshed a few minutes before expiry."""

    def __init__(
        self,
        scope: str,
        factory: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.scope = scope
        self._factory = factory
        self._credential: Any = None
        self._cached: tuple[str, float] | None = None
        self._clock = clock

    async def token(self) -> str:
        if self._cached and self._cached[1] - 300 > self._clock():
            return self._cached[0]
        if self._credential is None:
            if self._factory is None:
                # The synchronous credential, run in a thread: the aio one needs aiohttp, which
                # nothing else here uses. Imported lazily: azure-identity is slow to import.
                from azure.identity import DefaultAzureCredential

                self._credential = DefaultAzureCredential()
            else:
                self._credential = self._factory()
        try:
            result = await asyncio.to_thread(self._credential.get_token, self.scope)
            access = await result if isinstance(result, Awaitable) else result
        except Exception as exc:  # azure-identity raises its own tree; keep one line
            raise UsageError(
                f"could not get an Azure token for {self.scope}: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''} — sign in with `az login`, "
                "or set AZURE_CLIENT_ID/AZURE_TENANT_ID with a federated token or secret"
            ) from exc
        self._cached = (access.token, float(access.expires_on))
        return str(access.token)

    async def invalidate(self) -> None:
        self._cached = None

    async def close(self) -> None:
        if self._credential is not None and hasattr(self._credential, "close"):
            result = await asyncio.to_thread(self._credential.close)
            if isinstance(result, Awaitable):
                await result


def provider_for(endpoint: str, scope: str) -> TokenProvider:
    return StaticToken() if is_loopback(endpoint) else AzureIdentityToken(scope)
