"""Plan over W workspaces x C connections: API calls and wall time, ours vs the SDK way.

Usage: python bench/plan_read_cost.py [--workspaces 200] [--connections 5] [--groups 4]
                                      [--latency-ms 50] [--parallelism 8] [--skip-throttled]

The emulator (HTTPS on loopback, every request delayed by --latency-ms) is filled out of band.
Ours: `reconciler plan` as a whole process (lists per resource group and per workspace).
Baseline, same run: a script as users write it today with the official SDK
(`azure-mgmt-machinelearningservices`, one GET per workspace and per connection, in turn).
Lower bound: our round trips / parallelism x latency. Then both again with ARM's read throttle
on (bucket 250, refill 25/s), where the number of calls decides. Connections use authType None:
no secrets to compare, so both sides read the same things.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from _common import LINKED, run_reconciler, sdk_client

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, running
from reconciler.emulator.tls import self_signed


def _fill(url: str, cert: Path, workspaces: int, connections: int, groups: int) -> None:
    with httpx.Client(
        base_url=url, verify=str(cert), headers={"Authorization": "Bearer fill"}
    ) as client:
        for w in range(workspaces):
            rg = f"bench-rg-{w % groups}"
            base = (
                f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{rg}/providers/"
                f"Microsoft.MachineLearningServices/workspaces/ws{w:04d}"
            )
            client.put(
                base,
                params={"api-version": "2023-04-01"},
                json={"location": "westeurope", "properties": LINKED},
            ).raise_for_status()
            for c in range(connections):
                client.put(
                    f"{base}/connections/conn{c}",
                    params={"api-version": "2024-04-01"},
                    json={
                        "properties": {
                            "authType": "None",
                            "category": "Git",
                            "target": f"https://git/{w}/{c}",
                        }
                    },
                ).raise_for_status()


def _manifests(directory: Path, workspaces: int, connections: int, groups: int) -> Path:
    docs = []
    for w in range(workspaces):
        meta = f"subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: bench-rg-{w % groups}"
        docs.append(
            f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: "
            f"ws{w:04d}, {meta}}}\nspec: {{location: westeurope}}\n"
        )
        for c in range(connections):
            docs.append(
                f"apiVersion: reconciler/v1\nkind: Connection\nmetadata: {{name: "
                f"conn{c}, workspace: ws{w:04d}, {meta}}}\nspec: {{properties: "
                f"{{authType: None, category: Git, target: 'https://git/{w}/{c}'}}}}\n"
            )
    path = directory / "bench.yaml"
    path.write_text("---\n".join(docs))
    return path


def _ours(url: str, cert: Path, manifests: Path, parallelism: int) -> tuple[float, int]:
    elapsed, out = run_reconciler(
        [
            "plan",
            "--endpoint",
            url,
            "--format",
            "json",
            "--parallelism",
            str(parallelism),
            "--retries",
            "20",
            str(manifests),
        ],
        cert,
    )
    report = json.loads(out)
    assert report["summary"]["no-op"] > 0 and not report["has_changes"], report["summary"]
    return elapsed, int(report["calls"]["total"])


def _sdk(
    url: str, cert: Path, workspaces: int, connections: int, groups: int, threads: int = 1
) -> tuple[float, int]:
    client = sdk_client(url, cert)

    def one_workspace(w: int) -> int:
        rg = f"bench-rg-{w % groups}"
        client.workspaces.get(rg, f"ws{w:04d}")
        for c in range(connections):
            client.workspace_connections.get(rg, f"ws{w:04d}", f"conn{c}")
        return 1 + connections

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        calls = sum(pool.map(one_workspace, range(workspaces)))
    return time.perf_counter() - start, calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspaces", type=int, default=200)
    parser.add_argument("--connections", type=int, default=5)
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--skip-throttled", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = self_signed(Path(tmp) / "tls")
        groups = tuple((DEFAULT_SUBSCRIPTION, f"bench-rg-{g}") for g in range(args.groups))
        emulator = Emulator(knobs=Knobs(page_size=100), resource_groups=groups)
        manifests = _manifests(Path(tmp), args.workspaces, args.connections, args.groups)
        with running(emulator, certificate=(cert, key)) as url:
            _fill(url, cert, args.workspaces, args.connections, args.groups)
            emulator.knobs.latency_ms = args.latency_ms
            print(
                f"{args.workspaces} workspaces x {args.connections} connections in "
                f"{args.groups} resource groups; {args.latency_ms:g} ms per request"
            )
            runs = [("no throttle", False)] + (
                [] if args.skip_throttled else [("ARM read throttle on", True)]
            )
            for label, throttle in runs:
                emulator.knobs.throttle = throttle
                emulator.throttle.buckets.clear()
                ours, our_calls = _ours(url, cert, manifests, args.parallelism)
                emulator.throttle.buckets.clear()
                sdk, sdk_calls = _sdk(url, cert, args.workspaces, args.connections, args.groups)
                emulator.throttle.buckets.clear()
                sdk_par, _ = _sdk(
                    url,
                    cert,
                    args.workspaces,
                    args.connections,
                    args.groups,
                    threads=args.parallelism,
                )
                bound = our_calls / args.parallelism * args.latency_ms / 1000
                print(f"\n[{label}]")
                print(f"  reconciler plan (process): {ours:7.2f} s, {our_calls} calls")
                print(f"  SDK, GET per resource:     {sdk:7.2f} s, {sdk_calls} calls")
                print(
                    f"  same in {args.parallelism} threads:         {sdk_par:7.2f} s, "
                    f"{sdk_calls} calls  (SDK threads / ours: {sdk_par / ours:.1f}x)"
                )
                print(
                    f"  lower bound:               {bound:7.2f} s "
                    f"({our_calls} calls / {args.parallelism} x {args.latency_ms:g} ms)"
                )
                print(f"  SDK / ours: {sdk / ours:.1f}x; ours / lower bound: {ours / bound:.1f}")


if __name__ == "__main__":
    main()
