"""What apply and destroy say when they stop before the end: Ctrl-C (or SIGTERM, as CI cancels
a job), the reader of their output gone (``apply --auto-approve | head``), or their output that
cannot be written (``apply … > apply.log`` on a full disk).

Either way nothing new is started and the operations already running in Azure go on: they are
listed on stderr with their URLs, because a rerun converges only once they are done, and
whoever stopped the run needs to know which ones to wait for.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Mapping

from reconciler.render import safe

INTERRUPTED = 130
# What a write to stdout fails with when its file cannot grow: a full disk or quota, a size
# limit, a failing device. Files the tool writes itself fail as OutputError; these are stdout's.
WRITE_FAILURES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def output_failed(exc: BaseException) -> bool:
    """Whether ``exc`` is stdout's reader gone or its file unable to grow."""
    return isinstance(exc, BrokenPipeError) or (
        isinstance(exc, OSError) and exc.errno in WRITE_FAILURES
    )


def stopped(
    reason: KeyboardInterrupt | OSError, verb: str, in_flight: Mapping[str, str], rerun: str
) -> int:
    """Say on stderr why no further ``verb`` (changes, deletes) were started, what is still
    running in Azure, and ``rerun``; the exit code: 130 on Ctrl-C, 1 when the output is gone
    (the run is incomplete, as its output is)."""
    if isinstance(reason, OSError):
        headline, code = output_gone(reason), 1
    else:
        headline, code = "\ninterrupted", INTERRUPTED
    with contextlib.suppress(OSError):  # stderr may be gone too
        print(f"{headline}: no further {verb} were started.", file=sys.stderr)
        for address, url in in_flight.items():
            print(safe.terminal(f"  still running in Azure: {address} ({url})"), file=sys.stderr)
        print(rerun, file=sys.stderr)
    return code


def output_gone(exc: OSError) -> str:
    """Why stdout took no more (its reader gone, its file unable to grow), in one line; what
    is still buffered for it is sent to the null device, or the interpreter's flush at exit
    would fail again, aloud."""
    with contextlib.suppress(OSError):
        discard_stdout()
    if isinstance(exc, BrokenPipeError):
        return "error: the output's reader closed it early (broken pipe)"
    return f"error: cannot write the output (stdout): {exc.strerror}"


def discard_stdout() -> None:
    """stdout's reader closed it: what is still buffered for it goes to the null device, or
    the interpreter's flush at exit would fail again, aloud."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    os.close(null)
