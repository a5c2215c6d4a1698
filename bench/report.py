"""Run every benchmark and write its figures into bench/README.md, in one command.

Usage: python bench/report.py [--quick]

Each script prints its figures with their baselines, measured in the same run; this writes
their output, the date and the machine's load (the figures are ratios because the machine is
shared: absolute times move with the load, ratios measured in one run much less) between the
``results`` markers of bench/README.md. ``--quick`` runs small sizes, to check the scripts.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BEGIN, END = "<!-- results:begin (python bench/report.py) -->", "<!-- results:end -->"
RUNS = [
    ("Plan: calls and wall time, 200 workspaces x 5 connections", ["plan_read_cost.py"]),
    (
        "Plan: 1,000 workspaces x 9 connections",
        [
            "plan_read_cost.py",
            *("--workspaces", "1000", "--connections", "9"),
            *("--skip-throttled", "--skip-serial"),
        ],
    ),
    ("Choosing --parallelism: plan of 200 workspaces x 5 connections", ["parallelism.py"]),
    ("Apply 100 new workspaces, throttle on", ["apply_parallel.py"]),
    ("Validate 1,000 documents", ["validate_1000.py"]),
    ("Start-up and memory", ["startup_and_memory.py"]),
    ("Emulator throughput", ["emulator_throughput.py"]),
]
QUICK = {
    "plan_read_cost.py": ["--workspaces", "8", "--connections", "2", "--latency-ms", "5"],
    "parallelism.py": ["--workspaces", "8", "--connections", "2", "--repeat", "1"],
    "apply_parallel.py": ["--workspaces", "6", "--baseline-workspaces", "2", "--delay", "1"],
    "validate_1000.py": ["--documents", "100", "--repeat", "1"],
    "startup_and_memory.py": ["--repeat", "1", "--resources", "100"],
}


def _run(args: list[str], quick: bool) -> str:
    extra = QUICK.get(args[0], []) if quick else []
    if quick and args[0] == "plan_read_cost.py" and "--skip-serial" in args:
        args = [args[0], "--skip-throttled", "--skip-serial"]
    done = subprocess.run(
        [sys.executable, str(HERE / args[0]), *args[1:], *extra],
        capture_output=True,
        text=True,
        check=False,
        cwd=HERE,
    )
    if done.returncode != 0:
        return f"FAILED (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}"
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sections = [
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on "
        f"{os.cpu_count()} cores shared with other work: each section says the load average "
        "(1, 5, 15 min) when it ended; read the ratios, measured in one run, rather than the "
        "seconds."
    ]
    for title, command in RUNS:
        print(f"running {' '.join(command)} …", file=sys.stderr)
        started = datetime.datetime.now(datetime.UTC)
        output = _run(command, args.quick)
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        shown = "python bench/" + " ".join(command)
        body = output if output.startswith("|") or "\n|" in output else f"```text\n{output}\n```"
        sections.append(
            f"### {title} — `{shown}`\n\n_{started:%H:%M} UTC, load average at the end "
            f"{load}_\n\n{body}"
        )
    text = README.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    README.write_text(f"{head}{BEGIN}\n\n" + "\n\n".join(sections) + f"\n\n{END}{tail}")


if __name__ == "__main__":
    main()
