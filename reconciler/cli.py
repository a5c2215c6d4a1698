"""The ``reconciler`` command line: the entry point.

The parser is :mod:`reconciler.commands.parser` and the commands live in
:mod:`reconciler.commands`; neither holds logic of its own, they wire the modules together.
Heavy modules are imported inside the command functions so that ``reconciler validate`` starts
fast in CI; ``reconciler --version`` is answered before even the parser is built; and
:func:`run`, the process's entry point, keeps two modules that only ride along with httpx out
of the process. Every :class:`ReconcilerError` becomes a message on stderr and a non-zero
exit; no traceback reaches the user for bad input.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Sequence

from reconciler import __version__


def _log_to_stderr(verbosity: int) -> None:
    """Our own loggers only: what they write is chosen to hold no header, body or secret.
    Libraries' debug logs (httpcore, azure-identity, msal) are not ours to vouch for.

    Without ``-v`` warnings still go out as plain lines: they say what a run is waiting on
    or retrying (a refused connection, throttling), so a run is never silently stuck — on a
    terminal and in a CI log alike.
    """
    import logging

    handler = logging.StreamHandler(sys.stderr)
    logger = logging.getLogger("reconciler")
    logger.handlers = [handler]
    if verbosity:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
    else:
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.setLevel(logging.WARNING)
        logger.setLevel(logging.NOTSET)  # the root's level decides, as without this handler


def _quiet_libraries() -> None:
    """azure-identity logs a paragraph per credential when sign-in fails; with no handler
    configured Python prints it to stderr ahead of our one-line error. A NullHandler keeps it
    out; the same details reach the -vv log through the error itself."""
    import logging

    azure = logging.getLogger("azure")
    if not any(isinstance(h, logging.NullHandler) for h in azure.handlers):
        azure.addHandler(logging.NullHandler())


# Modules that importing httpx loads and that this command line never runs: httpx's own command
# line (``httpx._main``, which imports rich, click and pygments: ~40 ms) and trio, which
# httpcore imports whenever it is installed, to serve trio's event loop (~50 ms; we run asyncio
# and trio is not among our dependencies). Their import raising ImportError is what httpx and
# httpcore expect when they are absent: httpx then offers a stub ``httpx.main``, httpcore works
# under asyncio only.
NOT_IN_THE_CLI = ("httpx._main", "trio")


def run() -> int:
    """The process's entry point: the ``reconciler`` script and ``python -m reconciler``.

    Marks :data:`NOT_IN_THE_CLI` as absent (unless already imported) before anything imports
    httpx, then runs :func:`main`. Only here, never on importing a module of the package: a
    program that uses the reconciler as a library, or runs it under trio, keeps its modules.
    tests/e2e/test_start_up.py holds a ``plan`` process to it.
    """
    for name in NOT_IN_THE_CLI:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    if sys.stderr is None:  # started with 2>&-: errors go nowhere, the exit code still says
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (the process's)
    if sys.stdout is None:  # started with >&-: Python gives no stdout at all
        # Refused before anything runs: an apply whose report cannot be written would change
        # Azure and say nothing of it.
        print("error: standard output is closed: nothing was done", file=sys.stderr)
        return 1
    _survive_narrow_encodings()
    try:
        code = main(whole_process=True)
        sys.stdout.flush()
    except OSError as exc:
        # Whoever read the output has stopped (``validate . | head``), or its file cannot
        # grow (``drift > drift.md`` on a full disk): one line, exit 1, no traceback.
        from reconciler.apply import stopping

        if not stopping.output_failed(exc):
            raise
        with contextlib.suppress(OSError):  # stderr may be gone too
            print(stopping.output_gone(exc), file=sys.stderr)
        return 1
    # What the command made (a plan of thousands of resources, their live bodies) is garbage
    # once it has answered; frozen, the interpreter's collection at exit leaves it alone
    # instead of walking it (~30 ms of a 1,200-resource plan). Nothing runs after this.
    gc.freeze()
    return code


def _survive_narrow_encodings() -> None:
    """Plans hold characters beyond Latin-1 (a Markdown plan's ✅, a text plan's …, names and
    tags as declared): where stdout cannot encode them (a Windows runner's pipe is cp1252, a
    ``PYTHONIOENCODING=ascii`` job) each is written as an escape such as ``\\u2705``, as
    Python already does on stderr, instead of the plan dying half-written on an encoding
    error. A UTF-8 stdout is left exactly as it is."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None and sys.stdout.errors == "strict":
        reconfigure(errors="backslashreplace")


def _terminate_as_interrupt() -> None:
    """SIGTERM is how CI cancels a job (Azure DevOps, GitLab, Jenkins, ``timeout``, a runner's
    pod or container stopping): handled as Ctrl-C is, so apply starts nothing new, lists the
    operations still running in Azure and exits 130, instead of dying without a word. The
    signal is passed on as SIGINT to whoever handles that at the time (asyncio cancels the
    command's task). Where SIGINT is ignored (a job a script starts with ``&``), it stays
    ignored, and SIGTERM raises the KeyboardInterrupt a Ctrl-C would have: asyncio installs
    no handler of its own then, and the interrupt leaves the loop as a second Ctrl-C does."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        signal.raise_signal(signal.SIGINT)

    def raise_interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    signal.signal(signal.SIGTERM, raise_interrupt if ignored else interrupt)


def main(argv: Sequence[str] | None = None, *, whole_process: bool = False) -> int:
    """Run one command; its exit code. ``whole_process``: this is the reconciler's own process
    (:func:`run`), whose memory management the commands may tune; a caller's is left alone."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments == ["--version"]:
        # Answered before the parser exists: building it imports every command's options
        # (~20 ms), and CI asks for the version in every job. Same text as the parser's own
        # --version action, which answers it among other options.
        print(f"reconciler {__version__}")
        return 0
    if whole_process:
        _terminate_as_interrupt()
    from reconciler.commands.common import EXIT_ERROR, check_usage
    from reconciler.commands.parser import build_parser
    from reconciler.errors import ReconcilerError

    parser = build_parser()
    try:
        args = parser.parse_args(arguments)
        args.whole_process = whole_process
    except SystemExit as stop:
        # argparse exits 2 on a usage error; 2 means changes (plan --detailed-exitcode) or
        # drift here, so a mistyped option in CI must not read as either. --help exits 0.
        if stop.code == 2:
            return EXIT_ERROR
        raise
    _quiet_libraries()
    _log_to_stderr(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        check_usage(args)
        code: int = args.func(args)
    except ReconcilerError as error:
        from reconciler.errors import ManifestError
        from reconciler.render.safe import lines, terminal

        # A manifest error lists its problems a line each; any other error is one line, even
        # when the service's message spans several (its line breaks shown as escapes).
        text = lines(str(error)) if isinstance(error, ManifestError) else terminal(str(error))
        print(f"error: {text}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    raise SystemExit(run())
