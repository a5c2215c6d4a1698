"""The official-SDK baselines of the benchmarks, each as its own process.

Usage: python bench/sdk_baseline.py reads URL CERT WORKSPACES CONNECTIONS GROUPS THREADS RETRIES
       python bench/sdk_baseline.py creates URL CERT WORKSPACES GROUP RETRIES

Scripts as users write them today with `azure-mgmt-machinelearningservices`. ``reads``: one GET
per workspace and per connection, in THREADS threads (the plan benchmark). ``creates``:
``begin_create_or_update(...).result()`` for each workspace in turn (the apply benchmark).
Run apart from the emulator's process and from ours, so none shares an interpreter (and its
GIL) with another. RETRIES is azure-core's ``retry_status``: how many 429/5xx answers one call
may retry (its default, 3, gives up under ARM's throttle). Prints one JSON line: seconds
(the calls only, without this process's start), calls, and the error that stopped it, if any.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _common import LINKED, sdk_client


def _reads(client: Any, args: list[str]) -> Callable[[], int]:
    workspaces, connections, groups, threads = (int(a) for a in args)

    def one_workspace(w: int) -> int:
        rg = f"bench-rg-{w % groups}"
        client.workspaces.get(rg, f"ws{w:04d}")
        for c in range(connections):
            client.workspace_connections.get(rg, f"ws{w:04d}", f"conn{c}")
        return 1 + connections

    def run() -> int:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return sum(pool.map(one_workspace, range(workspaces)))

    return run


def _creates(client: Any, args: list[str]) -> Callable[[], int]:
    from azure.mgmt.machinelearningservices import models

    workspaces, group = int(args[0]), args[1]

    def run() -> int:
        for i in range(workspaces):
            client.workspaces.begin_create_or_update(
                group,
                f"sdk{i:03d}",
                models.Workspace(
                    location="westeurope",
                    description="b",
                    key_vault=LINKED["keyVault"],
                    storage_account=LINKED["storageAccount"],
                ),
            ).result()
        return workspaces

    return run


def main() -> None:
    mode, url, cert, *rest = sys.argv[1:]
    client = sdk_client(url, Path(cert), status_retries=int(rest[-1]))
    run = (_reads if mode == "reads" else _creates)(client, rest[:-1])
    start = time.perf_counter()
    error, calls = None, 0
    try:
        calls = run()
    except Exception as exc:  # the finding is that it stops: report how, and after how long
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    print(json.dumps({"seconds": time.perf_counter() - start, "calls": calls, "error": error}))


if __name__ == "__main__":
    main()
