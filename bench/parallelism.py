"""Which --parallelism: our plan of W workspaces x C connections at several parallelisms.

Usage: python bench/parallelism.py [--workspaces 200] [--connections 5] [--groups 4]
                                   [--latency-ms 50] [--values 8,16,32,64] [--repeat 3]

One emulator process (HTTPS on loopback, --latency-ms a request, ARM's limits lifted as in
plan_read_cost.py, so no run is paced by ARM's refill); `reconciler plan` as a whole
process at each value, the values interleaved and each run --repeat times (the machine is
shared: interleaving spreads the others' load over every value). Prints the median and the
spread of each, its latency bound (calls / parallelism x latency) and the CPU the process used
(user + system: when it is near the wall time, more parallelism cannot help).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plan_read_cost import estate_arguments, served_estate


def _plan(url: str, cert: Path, manifests: Path, parallelism: int) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and calls of one plan process."""
    env = {**os.environ, "SSL_CERT_FILE": str(cert)}
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "reconciler", "plan", "--endpoint", url, "--format", "json"),
            *("--parallelism", str(parallelism), str(manifests)),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu, int(json.loads(done.stdout)["calls"]["total"])


def main() -> None:
    parser = argparse.ArgumentParser()
    estate_arguments(parser)
    parser.add_argument("--values", default="8,16,32,64")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    values = [int(v) for v in args.values.split(",")]
    runs: dict[int, list[tuple[float, float, int]]] = {v: [] for v in values}
    with (
        tempfile.TemporaryDirectory() as tmp,
        served_estate(args, Path(tmp)) as (url, cert, emulator, manifests),
    ):
        for _ in range(args.repeat):
            for value in values:
                emulator.throttle.buckets.clear()
                runs[value].append(_plan(url, cert, manifests, value))
    print(
        f"{args.workspaces} workspaces x {args.connections} connections in {args.groups} "
        f"resource groups; {args.latency_ms:g} ms per request; {args.repeat} runs each, "
        f"interleaved; load average at the end {os.getloadavg()[0]:.1f}\n"
    )
    print("| --parallelism | plan, median (min-max) | latency bound | ÷ bound | CPU, median |")
    print("|---|---|---|---|---|")
    for value in values:
        walls = [wall for wall, _, _ in runs[value]]
        calls = runs[value][0][2]
        bound = calls / value * args.latency_ms / 1000
        median = statistics.median(walls)
        cpu = statistics.median(c for _, c, _ in runs[value])
        print(
            f"| {value} | {median:.2f} s ({min(walls):.2f}-{max(walls):.2f}) | {bound:.2f} s "
            f"| {median / bound:.2f}x | {cpu:.2f} s |"
        )


if __name__ == "__main__":
    main()
