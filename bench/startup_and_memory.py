"""Start-up time of whole processes, and peak memory of a plan over many resources.

Usage: python bench/startup_and_memory.py [--repeat 5] [--resources 10000]

Start-up matters in CI, where every step is a new process: `reconciler --version` and
`reconciler validate` of the examples, against the bare interpreter (`python -c pass`) measured
in the same run. Memory: peak RSS (GNU time) of `reconciler plan` over N resources (workspaces
with 9 connections each) against the emulator, against the peak RSS of `reconciler --version`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import LINKED

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, running

EXAMPLES = Path(__file__).resolve().parents[1] / "manifests" / "examples"
PY = [sys.executable]


def _median_seconds(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_rss_mib(command: list[str]) -> float:
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return int(done.stderr.strip().splitlines()[-1]) / 1024


def _fill(url: str, workspaces: int, per: int, directory: Path) -> Path:
    docs = []
    with httpx.Client(base_url=url, headers={"Authorization": "Bearer b"}) as client:
        for w in range(workspaces):
            base = (
                f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/rg-mem/providers/"
                f"Microsoft.MachineLearningServices/workspaces/ws{w:05d}"
            )
            client.put(
                base,
                params={"api-version": "2023-04-01"},
                json={"location": "westeurope", "properties": LINKED},
            ).raise_for_status()
            docs.append(
                f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: "
                f"ws{w:05d}}}\nspec: {{location: westeurope}}\n"
            )
            for c in range(per):
                client.put(
                    f"{base}/connections/conn{c}",
                    params={"api-version": "2024-04-01"},
                    json={"properties": {"authType": "None", "category": "Git"}},
                ).raise_for_status()
                docs.append(
                    f"apiVersion: reconciler/v1\nkind: Connection\nmetadata: {{name: "
                    f"conn{c}, workspace: ws{w:05d}}}\nspec: {{properties: "
                    "{authType: None, category: Git}}\n"
                )
    (directory / "defaults.yaml").write_text(
        f"apiVersion: reconciler/v1\nkind: Defaults\nspec: {{subscription: "
        f"{DEFAULT_SUBSCRIPTION}, resourceGroup: rg-mem}}\n"
    )
    (directory / "m.yaml").write_text("---\n".join(docs))
    return directory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--resources", type=int, default=10_000)
    args = parser.parse_args()
    env_file = str(EXAMPLES / "demo.env")
    bare = _median_seconds([*PY, "-c", "pass"], args.repeat)
    version = _median_seconds([*PY, "-m", "reconciler", "--version"], args.repeat)
    validate = _median_seconds(
        [*PY, "-m", "reconciler", "validate", "--env-file", env_file, str(EXAMPLES)], args.repeat
    )
    print(f"python -c pass (baseline):        {bare * 1000:6.0f} ms")
    print(
        f"reconciler --version:             {version * 1000:6.0f} ms  "
        f"({version / bare:.1f}x the bare interpreter)"
    )
    print(f"reconciler validate (examples):   {validate * 1000:6.0f} ms  ({validate / bare:.1f}x)")
    workspaces = max(1, args.resources // 10)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running(Emulator(resource_groups=((DEFAULT_SUBSCRIPTION, "rg-mem"),))) as url,
    ):
        directory = _fill(url, workspaces, 9, Path(tmp))
        base_rss = _peak_rss_mib([*PY, "-m", "reconciler", "--version"])
        start = time.perf_counter()
        plan_rss = _peak_rss_mib(
            [*PY, "-m", "reconciler", "plan", "--endpoint", url, "--format", "json", str(directory)]
        )
        elapsed = time.perf_counter() - start
    print(
        f"plan over {workspaces * 10:,} resources: peak RSS {plan_rss:.0f} MiB "
        f"({elapsed:.1f} s); `--version` peak RSS {base_rss:.0f} MiB; "
        f"ratio {plan_rss / base_rss:.1f}x"
    )


if __name__ == "__main__":
    main()
