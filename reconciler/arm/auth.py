"""Where bearer tokens come from, and which endpoints may receive them.

Against Azure: azure-identity's ``DefaultAzureCredential`` (environment, workload identity,
managed identity, Azure CLI …) for the scope of the API being called. Against a loopback
endpoint (the emulator) a static development token, so no login is needed. Plain ``http://``
is refused except for loopback: a bearer token must never cross a network in the clear.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from reconciler.arm.hosts import check_endpoint as check_endpoint  # re-exported
from reconciler.arm.hosts import is_loopback as is_loopback  # re-exported
from reconciler.errors import UsageError

log = logging.getLogger("reconciler.auth")

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


# What DefaultAzureCredential's chain members are, in words a person signs in with.
_CREDENTIALS = {
    "EnvironmentCredential": "environment variables",
    "WorkloadIdentityCredential": "workload identity",
    "ManagedIdentityCredential": "managed identity",
    "SharedTokenCacheCredential": "shared token cache",
    "VisualStudioCodeCredential": "VS Code",
    "AzureCliCredential": "Azure CLI",
    "AzurePowerShellCredential": "Azure PowerShell",
    "AzureDeveloperCliCredential": "Azure Developer CLI",
    "BrokerCredential": "broker",
}
SIGN_IN = (
    "sign in with `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, "
    "or use workload identity (AZURE_FEDERATED_TOKEN_FILE, as azure/login and AKS set it)"
)


def credential_error(scope: str, exc: BaseException) -> str:
    """One line for a failed sign-in: what was tried and how to sign in; the library's
    paragraph per credential goes to the -vv log instead of in front of the error."""
    text = str(exc)
    log.debug("azure-identity for %s: %s: %s", scope, type(exc).__name__, text)
    tried = re.findall(r"^\t(\w+):", text, flags=re.M)
    if tried:
        names = ", ".join(_CREDENTIALS.get(name, name) for name in tried)
        return f"no Azure credential for {scope}: tried {names}; {SIGN_IN} (-vv shows each answer)"
    first = text.splitlines()[0] if text else ""
    return (
        f"could not get an Azure token for {scope}: {type(exc).__name__}: {first} — {SIGN_IN} "
        "(-vv shows details)"
    )


def arm_scope(endpoint: str) -> str:
    """The token audience of an ARM endpoint is its own origin: management.azure.com, or a
    sovereign cloud's (management.chinacloudapi.cn, management.usgovcloudapi.net …)."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}/.default"


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
        try:
            # Made inside the try: azure-identity checks the environment as it builds the
            # credential (a malformed AZURE_TENANT_ID, a missing AZURE_CLIENT_CERTIFICATE_PATH,
            # an http:// AZURE_AUTHORITY_HOST), and those are sign-in failures too.
            if self._credential is None:
                self._credential = self._make()
            result = await asyncio.to_thread(self._credential.get_token, self.scope)
            access = await result if isinstance(result, Awaitable) else result
        except Exception as exc:  # azure-identity raises its own tree; keep one line
            raise UsageError(credential_error(self.scope, exc)) from exc
        self._cached = (access.token, float(access.expires_on))
        return str(access.token)

    def _make(self) -> Any:
        """The credential (tests give a factory); may raise on a malformed environment."""
        if self._factory is not None:
            return self._factory()
        # The synchronous credential, run in a thread: the aio one needs aiohttp, which
        # nothing else here uses. Imported lazily: azure-identity is slow to import.
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential()

    async def invalidate(self) -> None:
        self._cached = None

    async def close(self) -> None:
        if self._credential is not None and hasattr(self._credential, "close"):
            result = await asyncio.to_thread(self._credential.close)
            if isinstance(result, Awaitable):
                await result


def provider_for(endpoint: str, scope: str) -> TokenProvider:
    return StaticToken() if is_loopback(endpoint) else AzureIdentityToken(scope)
