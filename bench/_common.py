"""What the benchmark scripts share: the SDK baseline's client, and timing our CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from reconciler.emulator import DEFAULT_SUBSCRIPTION

# The key vault and storage account every benchmark workspace is created with: Azure, and the
# emulator by default, create a workspace only with both.
_LINKED_RG = f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/bench-linked/providers"
LINKED = {
    "keyVault": f"{_LINKED_RG}/Microsoft.KeyVault/vaults/benchkv",
    "storageAccount": f"{_LINKED_RG}/Microsoft.Storage/storageAccounts/benchsa",
}
LINKED_YAML = ", ".join(f"{k}: {v}" for k, v in LINKED.items())


def sdk_client(url: str, cert: Path, *, status_retries: int = 3) -> Any:
    """The official management client, pointed at the emulator and trusting its certificate.

    ``status_retries``: azure-core's ``retry_status`` (its default is 3: a call that meets a
    fourth 429 raises, which is what a user's script hits under ARM's throttle)."""
    from azure.core.credentials import AccessToken
    from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient

    class Credential:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            return AccessToken("bench", int(time.time()) + 3600)

    return MachineLearningServicesMgmtClient(
        Credential(),
        DEFAULT_SUBSCRIPTION,
        base_url=url,
        api_version="2023-04-01",
        connection_verify=str(cert),
        retry_status=status_retries,
        retry_total=max(10, status_retries),
    )


def run_reconciler(args: list[str], cert: Path) -> tuple[float, str]:
    """Run `reconciler ARGS` as a whole process (trusting ``cert``); seconds and stdout."""
    env = {**os.environ, "SSL_CERT_FILE": str(cert)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    return elapsed, done.stdout
