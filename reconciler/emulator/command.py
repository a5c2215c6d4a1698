"""``reconciler emulator``: its options (every knob settable from the command line, validated
as the admin API validates it) and serving until Ctrl-C.

Imported by the CLI's parser at start-up, so it imports only the standard library and
:mod:`reconciler.emulator.knobs` at module level; the server is imported when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from reconciler.emulator.knobs import HELP, Knobs, LroMode, check_knob

DEFAULT_RESOURCE_GROUP = "workspace-1234"
ADMIN_HELP = """\
admin API (not part of Azure, no token needed), under /_emulator/:
  GET   stats                      requests by route, PUTs per resource, statuses
  POST  stats/reset
  GET   knobs | PATCH knobs        read or change the knobs above (JSON, names with _)
  GET   state                      the whole state (credentials included: test use only)
  POST  resourceGroups             {"name": RG, "subscription": ID}
  PATCH resources{armId}           JSON merge patch of a stored resource (portal drift)
  PUT   playwright/{account}/tokens  seed a Playwright account's access tokens
"""


def _knob_type(name: str) -> Any:
    default = getattr(Knobs, name)

    def parse(text: str) -> Any:
        value: Any = text
        try:
            if isinstance(default, bool):
                value = {"true": True, "false": False}[text.lower()]
            elif isinstance(default, int) or name == "seed":
                value = int(text)
            elif isinstance(default, float):
                value = float(text)
            return check_knob(name, value)
        except (KeyError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc) or f"invalid value {text!r}") from None

    parse.__name__ = name
    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = f"{parser.description or ''}\n\n{ADMIN_HELP}"
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free)")
    parser.add_argument(
        "--state", type=Path, metavar="FILE", help="persist state to this JSON file (mode 0600)"
    )
    parser.add_argument(
        "--https", action="store_true", help="serve HTTPS with a generated self-signed certificate"
    )
    parser.add_argument(
        "--resource-group",
        action="append",
        metavar="NAME",
        default=None,
        help=f"seed a resource group in the default subscription; repeatable "
        f"(default: {DEFAULT_RESOURCE_GROUP})",
    )
    knobs = parser.add_argument_group("knobs (also PATCH /_emulator/knobs at run time)")
    for field in fields(Knobs):
        flag = "--" + field.name.replace("_", "-")
        default = getattr(Knobs, field.name)
        if isinstance(default, bool):  # --name and --no-name: some are on by default
            knobs.add_argument(
                flag,
                action=argparse.BooleanOptionalAction,
                default=default,
                help=f"{HELP[field.name]} (default: {'on' if default else 'off'})",
            )
        elif field.name == "shapes":
            knobs.add_argument(
                flag, default=default, choices=["clean", "realistic"], help=HELP[field.name]
            )
        elif field.name == "lro_mode":
            knobs.add_argument(
                flag,
                default=default.value,
                choices=[m.value for m in LroMode],
                help=HELP[field.name],
            )
        else:
            knobs.add_argument(
                flag,
                type=_knob_type(field.name),
                default=default,
                metavar="N",
                help=f"{HELP[field.name]} (default: {default})",
            )


def knobs_from(args: argparse.Namespace) -> Knobs:
    return Knobs(**{f.name: getattr(args, f.name) for f in fields(Knobs)})


def run(
    args: argparse.Namespace,
    *,
    prepare: Callable[[Any], None] | None = None,
    announce: Callable[[str, Path | None], str] | None = None,
) -> int:
    """Serve until Ctrl-C. ``prepare(emulator)`` seeds it before it serves and
    ``announce(url, certificate)`` gives the start banner: the CLI's ``--demo`` and banner."""
    import contextlib
    import tempfile

    from reconciler.emulator.app import DEFAULT_SUBSCRIPTION, Emulator
    from reconciler.emulator.server import make_server
    from reconciler.emulator.tls import self_signed

    groups = tuple(
        (DEFAULT_SUBSCRIPTION, rg) for rg in (args.resource_group or [DEFAULT_RESOURCE_GROUP])
    )
    try:
        emulator = Emulator(knobs=knobs_from(args), state_file=args.state, resource_groups=groups)
    except OSError as exc:
        print(f"error: cannot read the state file {args.state}: {exc.strerror}", file=sys.stderr)
        return 1
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        # Hand-edited or cut short by a kill: say what to do, not where the loader tripped.
        print(
            f"error: {args.state} is not a state file this emulator wrote "
            f"({type(exc).__name__}); delete it to start empty",
            file=sys.stderr,
        )
        return 1
    if prepare is not None:
        prepare(emulator)
    with contextlib.ExitStack() as cleanup:
        certificate = None
        if args.https:  # the directory goes when the emulator stops, Ctrl-C included
            directory = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="reconciler-"))
            certificate = self_signed(Path(directory))
        try:
            server = make_server(emulator, host=args.host, port=args.port, certificate=certificate)
        except (OSError, ValueError) as exc:
            print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        cert = certificate[0] if certificate else None

        def banner() -> None:
            if announce is not None:
                print(announce(server.base_url, cert), flush=True)
                return
            print(f"emulator listening on {server.base_url}", flush=True)
            if cert:
                print(f"certificate (trust it as the CA bundle): {cert}", flush=True)

        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever(on_ready=banner)
    return 0
