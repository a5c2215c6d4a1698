"""Plan over W workspaces x C connections: API calls and wall time, ours vs the SDK way.

Usage: python bench/plan_read_cost.py [--workspaces 200] [--connections 5] [--groups 4]
                                      [--latency-ms 50] [--parallelism 32] [--sdk-threads 32]
                                      [--sdk-retries 100] [--skip-throttled]

The emulator (HTTPS on loopback, every request delayed by --latency-ms) runs in this process
and is filled out of band. Ours: `reconciler plan` as a whole process (lists per resource group
and per workspace). Baselines, same run, same emulator, each in its own process
(bench/sdk_baseline.py): a script as users write it today with the official SDK
(`azure-mgmt-machinelearningservices`, one GET per workspace and per connection), in turn and
in --sdk-threads threads, ARM's limits lifted (the buckets 1,000 times larger: their headers
would pace us otherwise). Lower bound: our calls / parallelism x latency. Our runs are also
split in three by the emulator's clock (same process): before the first request (start-up,
loading and validating), reading (first request to last answer, against its critical path:
a group's list, then its workspaces' connection lists --parallelism at a time) and after the
last answer (what waits for the whole estate, writing the plan, exit). Then ours and the
threaded SDK again with ARM's read throttle on (bucket 250, refill 25/s), where the number of
calls decides; the SDK gets --sdk-retries 429 retries per call to finish, and is run once more
with azure-core's default (3), which gives up. Connections use authType None: no secrets to
compare, so both sides read the same things. Prints a Markdown table of ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from _common import LINKED, run_reconciler

from reconciler.commands.options import DEFAULT_PARALLELISM
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, running
from reconciler.emulator.tls import self_signed

UNLIMITED = 1000.0  # the emulator's throttle_scale when ARM's limits are lifted


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


class _Answers:
    """When the emulator (in this process) answered: its ``handle``, wrapped, records the
    moment each request is answered (after the latency knob's delay)."""

    def __init__(self, emulator: Emulator) -> None:
        self.times: list[float] = []
        handle = emulator.handle

        def timed(request: Any) -> Any:
            self.times.append(time.perf_counter())
            return handle(request)

        emulator.handle = timed  # type: ignore[method-assign]


def _ours(
    url: str, cert: Path, manifests: Path, parallelism: int, answers: _Answers, latency: float
) -> tuple[float, int, tuple[float, float, float]]:
    """Seconds, calls, and the run's phases: before the first request, reading (its first
    request's arrival to its last answer), after the last answer."""
    answers.times.clear()
    started = time.perf_counter()
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
    first, last = answers.times[0] - latency, answers.times[-1]
    phases = (first - started, last - first, started + elapsed - last)
    return elapsed, int(report["calls"]["total"]), phases


def _sdk(url: str, cert: Path, args: argparse.Namespace, threads: int, retries: int) -> Any:
    """The SDK baseline in its own process (bench/sdk_baseline.py): seconds, calls, error."""
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("sdk_baseline.py")),
            "reads",
            url,
            str(cert),
            *(str(v) for v in (args.workspaces, args.connections, args.groups)),
            str(threads),
            str(retries),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _throttled(emulator: Emulator) -> int:
    return int(emulator.stats()["statuses"].get("429", 0))


def _spread(results: dict[str, Any]) -> str:
    low, high = results["spread"]
    return f"{low:.2f}-{high:.2f} s"


def _row(figure: str, ours: str, base: str, ratio: str) -> None:
    print(f"| {figure} | {ours} | {base} | {ratio} |")


def _run(
    url: str, cert: Path, emulator: Emulator, manifests: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Ours (the median of ``--runs``: one run on a shared machine is one sample of its
    noise), then the SDK serially and in threads, on a fresh throttle each; 429s counted."""
    seconds: list[float] = []
    phases: list[tuple[float, float, float]] = []
    our_429 = calls = 0
    answers = _Answers(emulator)
    for _ in range(args.runs):
        emulator.throttle.buckets.clear()
        before = _throttled(emulator)
        elapsed, calls, split = _ours(
            url, cert, manifests, args.parallelism, answers, args.latency_ms / 1000
        )
        our_429 += _throttled(emulator) - before
        seconds.append(elapsed)
        phases.append(split)
    results: dict[str, Any] = {
        "ours": statistics.median(seconds),
        "spread": (min(seconds), max(seconds)),
        "phases": [statistics.median(p[i] for p in phases) for i in range(3)],
        "calls": calls,
        "our_429": our_429,
    }
    if not emulator.knobs.throttle and not args.skip_serial:
        emulator.throttle.buckets.clear()
        results["serial"] = _sdk(url, cert, args, 1, 3)
    emulator.throttle.buckets.clear()
    results["threads"] = _sdk(url, cert, args, args.sdk_threads, args.sdk_retries)
    if emulator.knobs.throttle:
        emulator.throttle.buckets.clear()
        results["default_retries"] = _sdk(url, cert, args, args.sdk_threads, 3)
    return results


def estate_arguments(parser: argparse.ArgumentParser) -> None:
    """The estate's size and latency, as every script that serves it takes them."""
    parser.add_argument("--workspaces", type=int, default=200)
    parser.add_argument("--connections", type=int, default=5)
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=50.0)


@contextlib.contextmanager
def served_estate(
    args: argparse.Namespace, directory: Path
) -> Iterator[tuple[str, Path, Emulator, Path]]:
    """The estate (``estate_arguments``) on an emulator over HTTPS in this process, filled,
    each request delayed by the latency and ARM's limits lifted; its manifests written to
    ``directory``: (URL, certificate to trust, the emulator, the manifests)."""
    cert, key = self_signed(directory / "tls")
    groups = tuple((DEFAULT_SUBSCRIPTION, f"bench-rg-{g}") for g in range(args.groups))
    emulator = Emulator(knobs=Knobs(page_size=100), resource_groups=groups)
    manifests = _manifests(directory, args.workspaces, args.connections, args.groups)
    with running(emulator, certificate=(cert, key)) as url:
        _fill(url, cert, args.workspaces, args.connections, args.groups)
        emulator.knobs.latency_ms = args.latency_ms
        # ARM's limits lifted, the buckets its headers report included (we pace by them, as on
        # ARM: 1,012 reads would take the refill's 30 s whatever the latency).
        emulator.knobs.throttle_scale = UNLIMITED
        yield url, cert, emulator, manifests


def main() -> None:
    parser = argparse.ArgumentParser()
    estate_arguments(parser)
    parser.add_argument(
        "--parallelism", type=int, default=DEFAULT_PARALLELISM, help="ours (--parallelism)"
    )
    parser.add_argument("--sdk-threads", type=int, default=32)
    parser.add_argument(
        "--sdk-retries", type=int, default=100, help="azure-core retry_status of the SDK"
    )
    parser.add_argument("--runs", type=int, default=3, help="of ours; the median is shown")
    parser.add_argument("--skip-throttled", action="store_true")
    parser.add_argument(
        "--skip-serial", action="store_true", help="no SDK run in turn (hours at 10,000 GETs)"
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        served_estate(args, Path(tmp)) as (url, cert, emulator, manifests),
    ):
        free = _run(url, cert, emulator, manifests, args)
        throttled = None
        if not args.skip_throttled:
            # ARM's buckets as documented, enforced
            emulator.knobs.throttle, emulator.knobs.throttle_scale = True, 1.0
            throttled = _run(url, cert, emulator, manifests, args)
    _report(args, free, throttled)


def _report(args: argparse.Namespace, free: Any, throttled: Any) -> None:
    bound = free["calls"] / args.parallelism * args.latency_ms / 1000
    ours, threads = free["ours"], free["threads"]
    serial = free.get("serial")
    print(
        f"{args.workspaces} workspaces x {args.connections} connections in {args.groups} "
        f"resource groups; {args.latency_ms:g} ms per request; ours --parallelism "
        f"{args.parallelism}, the median of {args.runs} runs ({_spread(free)}"
        + (f"; throttle on: {_spread(throttled)}" if throttled else "")
        + f"), SDK {args.sdk_threads} threads (own process)\n"
    )
    print("| figure | ours | baseline | ratio |\n|---|---|---|---|")
    _row("API calls", str(free["calls"]), f"{threads['calls']} (SDK)", "")
    _row(
        "plan ÷ latency bound",
        f"{ours:.2f} s",
        f"{bound:.2f} s ({free['calls']} calls / {args.parallelism} x {args.latency_ms:g} ms)",
        f"{ours / bound:.2f}x",
    )
    _phase_rows(args, free)
    if serial is not None:
        _row(
            "vs SDK, GET per resource, in turn",
            f"{ours:.2f} s",
            f"{serial['seconds']:.2f} s",
            f"{serial['seconds'] / ours:.1f}x",
        )
    _row(
        f"vs SDK in {args.sdk_threads} threads",
        f"{ours:.2f} s",
        f"{threads['seconds']:.2f} s",
        f"{threads['seconds'] / ours:.2f}x",
    )
    if throttled is None:
        return
    t_ours, t_sdk, t_default = throttled["ours"], throttled["threads"], throttled["default_retries"]
    _row(
        f"read throttle on: 429s for us; vs SDK in {args.sdk_threads} threads "
        f"(retry_status={args.sdk_retries})",
        f"{t_ours:.2f} s, {throttled['our_429']} x 429",
        f"{t_sdk['seconds']:.2f} s" if not t_sdk["error"] else f"stopped: {t_sdk['error']}",
        f"{t_sdk['seconds'] / t_ours:.1f}x",
    )
    _row(
        "read throttle on: SDK with azure-core's default retries (retry_status=3)",
        "",
        f"{t_default['seconds']:.2f} s, " + (t_default["error"] or "finished"),
        "",
    )


def _phase_rows(args: argparse.Namespace, free: Any) -> None:
    """The plan's wall time in its three phases (medians of the runs, each phase's own):
    only the middle one waits on the network, and its bound is its critical path."""
    before, reading, after = free["phases"]
    lists = free["calls"] - args.groups  # what follows the groups' lists (or first GETs)
    rounds = 1 + math.ceil(lists / args.parallelism)
    path = rounds * args.latency_ms / 1000
    _row("plan, before its first request: start-up, loading, validating", f"{before:.2f} s", "", "")
    _row(
        "plan, reading ÷ its critical path",
        f"{reading:.2f} s",
        f"{path:.2f} s (a group's list, then {lists} calls {args.parallelism} at a time: "
        f"{rounds} x {args.latency_ms:g} ms)",
        f"{reading / path:.2f}x",
    )
    _row("plan, after its last answer: deciding the rest, writing, exit", f"{after:.2f} s", "", "")


if __name__ == "__main__":
    main()
