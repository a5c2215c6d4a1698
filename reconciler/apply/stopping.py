"""What apply and destroy say when they stop before the end: Ctrl-C (or SIGTERM, as CI cancels
a job), or the reader of their output gone (``apply --auto-approve | head``).

Either way nothing new is started and the operations already running in Azure go on: they are
listed on stderr with their URLs, because a rerun converges only once they are done, and
whoever stopped the run needs to know which ones to wait for.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping

from reconciler.render import safe

INTERRUPTED = 130


def stopped(headline: str, in_flight: Mapping[str, str], rerun: str) -> None:
    print(headline, file=sys.stderr)
    for address, url in in_flight.items():
        print(safe.terminal(f"  still running in Azure: {address} ({url})"), file=sys.stderr)
    print(rerun, file=sys.stderr)


def reader_gone(verb: str, in_flight: Mapping[str, str], rerun: str) -> int:
    """stdout's reader closed it: what is still buffered for it goes to the null device (or
    the interpreter's flush at exit would fail again, aloud), the rest is said on stderr; exit
    1, the run is incomplete."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    headline = (
        f"error: the output's reader closed it early (broken pipe): no further {verb} were started."
    )
    with contextlib.suppress(OSError):  # stderr may be gone too
        stopped(headline, in_flight, rerun)
    return 1
