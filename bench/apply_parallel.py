"""Apply N new workspaces with a provisioning delay: ours vs the official SDK used serially.

Usage: python bench/apply_parallel.py [--workspaces 100] [--delay 3] [--baseline-workspaces 20]
                                      [--no-throttle]

The emulator serves HTTPS on loopback (azure-core refuses bearer tokens over plain http) with
the given provisioning delay, Retry-After 1 and ARM's read and write throttle on. Ours:
`reconciler apply` as a whole process; the emulator's request counts say how it waited.
Baseline, same run, same emulator, its own process (bench/sdk_baseline.py):
`azure-mgmt-machinelearningservices`, `begin_create_or_update(...).result()` for each
workspace in turn, as scripts commonly do. Lower bound: one provisioning delay.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from _common import LINKED_YAML, run_reconciler

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, running
from reconciler.emulator.tls import self_signed

RG = "bench-apply"


def _manifests(directory: Path, count: int, prefix: str) -> Path:
    docs = [
        f"apiVersion: reconciler/v1\nkind: Defaults\nspec: {{subscription: "
        f"{DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: westeurope}}\n"
    ]
    docs += [
        f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: {prefix}{i:03d}}}\n"
        f"spec: {{properties: {{description: bench {i}, {LINKED_YAML}}}}}\n"
        for i in range(count)
    ]
    path = directory / f"{prefix}.yaml"
    path.write_text("---\n".join(docs))
    return path


def _ours(url: str, cert: Path, manifests: Path) -> float:
    # at the default --parallelism, as a user runs it
    return run_reconciler(["apply", "--endpoint", url, "--auto-approve", str(manifests)], cert)[0]


def _sdk_serial(url: str, cert: Path, count: int, retries: int) -> Any:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("sdk_baseline.py")),
            "creates",
            url,
            str(cert),
            str(count),
            RG,
            str(retries),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _counts(emulator: Emulator) -> Counter[str]:
    stats = emulator.stats()
    return Counter({**stats["requests"], "429": stats["statuses"].get("429", 0)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspaces", type=int, default=100)
    parser.add_argument("--delay", type=float, default=3.0)
    parser.add_argument("--no-throttle", action="store_true", help="ARM's throttle off")
    parser.add_argument(
        "--baseline-workspaces",
        type=int,
        default=20,
        help="workspaces for the serial SDK run; its time is scaled to --workspaces",
    )
    args = parser.parse_args()
    baseline_n = min(args.baseline_workspaces, args.workspaces)
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = self_signed(Path(tmp) / "tls")
        emulator = Emulator(
            knobs=Knobs(
                provisioning_seconds=args.delay,
                retry_after_seconds=1,
                throttle=not args.no_throttle,
            ),
            resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
        )
        with running(emulator, certificate=(cert, key)) as url:
            ours = _ours(url, cert, _manifests(Path(tmp), args.workspaces, "ours"))
            calls = _counts(emulator)
            emulator.throttle.buckets.clear()
            sdk = _sdk_serial(url, cert, baseline_n, 100)
    serial = sdk["seconds"] * args.workspaces / baseline_n
    throttle = "off" if args.no_throttle else "on (reads 250 + 25/s, writes 200 + 10/s)"
    print(
        f"{args.workspaces} new workspaces, {args.delay:g} s provisioning, Retry-After 1 s, "
        f"ARM throttle {throttle}\n"
    )
    print("| figure | ours | baseline | ratio |\n|---|---|---|---|")
    print(
        f"| apply ÷ bound (one delay) | {ours:.2f} s | {args.delay:.2f} s "
        f"| {ours / args.delay:.2f}x |"
    )
    print(
        f"| vs SDK `begin_create_or_update().result()` in turn (own process; measured on "
        f"{baseline_n}, scaled) | {ours:.2f} s | {serial:.1f} s | {serial / ours:.1f}x |"
    )
    reads = {k.removeprefix("GET "): v for k, v in calls.items() if k.startswith("GET ")}
    writes = sum(v for k, v in calls.items() if k.startswith("PUT "))
    print(
        f"| our requests: PUT {writes}; GET {sum(reads.values())} ({dict(reads)}); "
        f"429 answers {calls['429']} | | | |"
    )
    if sdk["error"]:
        print(f"\nSDK baseline stopped: {sdk['error']}")


if __name__ == "__main__":
    main()
