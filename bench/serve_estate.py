"""Serve the plan benchmark's estate until interrupted, to profile `reconciler plan` by hand.

Usage: python bench/serve_estate.py DIR [--workspaces 200] [--connections 5] [--groups 4]
                                        [--latency-ms 50]

The estate of plan_read_cost.py (its emulator over HTTPS, each request delayed, ARM's limits
lifted), with its manifests and certificate written to DIR. Prints the command to run against
it, e.g. under `py-spy record` or after `python -m compileall -q reconciler`.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
from pathlib import Path

from plan_read_cost import estate_arguments, served_estate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    estate_arguments(parser)
    args = parser.parse_args()
    args.directory.mkdir(parents=True, exist_ok=True)
    with served_estate(args, args.directory) as (url, cert, _, manifests):
        print(
            f"SSL_CERT_FILE={cert} python -m reconciler plan --endpoint {url} "
            f"--format json {manifests}",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
