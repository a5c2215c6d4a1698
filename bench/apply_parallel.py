"""Apply N new workspaces with a provisioning delay: ours vs the official SDK used serially.

Usage: python bench/apply_parallel.py [--workspaces 20] [--delay 3] [--baseline-workspaces N]

The emulator serves HTTPS on loopback (azure-core refuses bearer tokens over plain http) with
the given provisioning delay and Retry-After 1. Ours: `reconciler apply` as a whole process.
Baseline, same run: `azure-mgmt-machinelearningservices`, `begin_create_or_update(...).result()`
for each workspace in turn, as scripts commonly do. Lower bound: one provisioning delay.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import LINKED, LINKED_YAML, run_reconciler, sdk_client

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
    return run_reconciler(
        ["apply", "--endpoint", url, "--auto-approve", "--parallelism", "16", str(manifests)], cert
    )[0]


def _sdk_serial(url: str, cert: Path, count: int) -> float:
    from azure.mgmt.machinelearningservices import models

    client = sdk_client(url, cert)
    start = time.perf_counter()
    for i in range(count):
        client.workspaces.begin_create_or_update(
            RG,
            f"sdk{i:03d}",
            models.Workspace(
                location="westeurope",
                description=f"bench {i}",
                key_vault=LINKED["keyVault"],
                storage_account=LINKED["storageAccount"],
            ),
        ).result()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspaces", type=int, default=20)
    parser.add_argument("--delay", type=float, default=3.0)
    parser.add_argument(
        "--baseline-workspaces",
        type=int,
        default=None,
        help="workspaces for the serial SDK run (default: same); the serial "
        "time is scaled to --workspaces",
    )
    args = parser.parse_args()
    baseline_n = args.baseline_workspaces or args.workspaces
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = self_signed(Path(tmp) / "tls")
        emulator = Emulator(
            knobs=Knobs(provisioning_seconds=args.delay, retry_after_seconds=1),
            resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
        )
        with running(emulator, certificate=(cert, key)) as url:
            ours = _ours(url, cert, _manifests(Path(tmp), args.workspaces, "ours"))
            serial = _sdk_serial(url, cert, baseline_n) * args.workspaces / baseline_n
    print(f"workspaces: {args.workspaces}, provisioning delay: {args.delay:g} s")
    print(f"reconciler apply (whole process): {ours:6.1f} s")
    print(
        f"SDK, one after another:           {serial:6.1f} s"
        + (f"  (measured on {baseline_n}, scaled)" if baseline_n != args.workspaces else "")
    )
    print(f"lower bound (one delay):          {args.delay:6.1f} s")
    print(f"serial / ours: {serial / ours:.1f}x; ours / lower bound: {ours / args.delay:.2f}")


if __name__ == "__main__":
    main()
