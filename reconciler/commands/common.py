"""What the commands share: exit codes, the session (manifests, endpoint, environment) and
the options that plan, drift and apply have in common. Heavy modules are imported inside
functions, so that starting the CLI stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.render import FORMATS

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2


def color(stream: object) -> bool:
    import os

    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


@contextlib.contextmanager
def session(
    args: argparse.Namespace, *, require_secrets: bool
) -> Iterator[tuple[Any, Any, dict[str, str]]]:
    """Manifests, where to send requests, and the environment, for plan/drift/apply.

    ``require_secrets``: apply sends secrets and plan/drift compare them (unless
    ``--secrets skip``); other commands need not have their values.
    """
    from reconciler import envfile
    from reconciler.arm.connect import Target, resolve_endpoint
    from reconciler.embedded import DEFAULT_EMULATOR_STATE, embedded_emulator
    from reconciler.inputs import load_manifests

    env, variables = envfile.inputs(args.env_file, getattr(args, "var", []))
    allow_secrets_dirs(args)
    manifests = load_manifests(
        args.paths,
        env,
        allow_literal_secrets=args.allow_literal_secrets,
        require_secrets=require_secrets,
        playwright_endpoints=allowed_playwright_endpoints(args),
        variables=variables,
    )
    manifests = with_owner(manifests, args)
    if getattr(args, "shard", None):
        from reconciler.manifest import shard

        manifests = shard.select(manifests, *shard.parse(args.shard))
    with contextlib.ExitStack() as stack:
        if args.emulator:
            state = args.emulator_state or DEFAULT_EMULATOR_STATE
            with emulator_state(state):
                endpoint = stack.enter_context(embedded_emulator(manifests, state))
        else:
            endpoint = resolve_endpoint(args.endpoint)
        yield (
            manifests,
            Target(
                endpoint,
                parallelism=args.parallelism,
                retries=args.retries,
                timeout=getattr(args, "request_timeout", 60.0),
            ),
            env,
        )


def with_owner(manifests: Any, args: argparse.Namespace) -> Any:
    """--owner overrides the Defaults' owner; --prune without any owner is refused."""
    import dataclasses

    from reconciler.errors import UsageError

    if getattr(args, "owner", None):
        manifests = dataclasses.replace(manifests, owner=args.owner)
    if getattr(args, "prune", False) and not manifests.owner:
        raise UsageError(
            "--prune needs an owner: set owner in a Defaults document or give --owner NAME; "
            "it deletes only connections marked managed-by: azureml-reconciler/<owner>"
        )
    return manifests


def allow_secrets_dirs(args: argparse.Namespace) -> None:
    """Let fromFile read inside --secrets-dir too (only the command line can widen this)."""
    from reconciler.manifest.secretfile import SECRETS_DIRS

    SECRETS_DIRS.set(tuple(getattr(args, "secrets_dir", None) or ()))


def allowed_playwright_endpoints(args: argparse.Namespace) -> tuple[str, ...]:
    """Playwright endpoints the command line allows in manifests besides the documented
    service hosts: --playwright-endpoint, and a loopback --endpoint (an emulator serving both
    APIs; see :func:`playwright_endpoint`). Never anything from a file or the environment."""
    from reconciler.arm.hosts import is_loopback

    given = [getattr(args, "playwright_endpoint", None)]
    endpoint = getattr(args, "endpoint", None)
    if endpoint and is_loopback(endpoint):
        given.append(endpoint)
    return tuple(g for g in given if g)


def add_playwright_endpoint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--playwright-endpoint",
        metavar="URL",
        help="send PlaywrightAccessTokens audits to this endpoint (e.g. a local emulator) "
        "instead of their manifests' endpoint, and accept it in manifests; without it a "
        "manifest may only name https://{region}.api.playwright.microsoft.com",
    )


def playwright_endpoint(args: argparse.Namespace, endpoint: str) -> str | None:
    """Where Playwright audits go instead of their manifest's endpoint, if anywhere.

    ``--playwright-endpoint`` says so explicitly. Otherwise: an emulator serves both APIs, so
    ``--emulator``, or a loopback ``--endpoint`` typed on the command line (an emulator: Azure
    is never on loopback), sends the audits to it too. Only the command line decides this: an
    endpoint read from a file or the environment never redirects the audits, whose endpoint
    must otherwise be a Playwright host.
    """
    from reconciler.arm.auth import check_endpoint, is_loopback

    if args.playwright_endpoint:
        return check_endpoint(args.playwright_endpoint)
    if args.emulator or (args.endpoint and is_loopback(args.endpoint)):
        return endpoint
    return None


SECONDS_OPTIONS = (
    ("request_timeout", "--request-timeout"),
    ("timeout", "--timeout"),
    ("deadline", "--deadline"),
)


def check_usage(args: argparse.Namespace) -> None:
    """Combinations and values argparse cannot check, refused before any work is done.

    A zero, negative or NaN timeout would make every request fail at once (or, for NaN, never
    compare as expired); ``--emulator`` with ``--endpoint`` leaves unclear which one the user
    meant to change, so neither wins silently.
    """
    import math

    from reconciler.errors import UsageError

    for attr, flag in SECONDS_OPTIONS:
        value = getattr(args, attr, None)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UsageError(f"{flag} must be a positive number of seconds, not {value}")
    if getattr(args, "emulator", False) and getattr(args, "endpoint", None):
        raise UsageError(
            "--emulator and --endpoint exclude each other: --emulator serves its own endpoint"
        )
    for attr, flag, least in (("parallelism", "--parallelism", 1), ("retries", "--retries", 0)):
        value = getattr(args, attr, None)
        if value is not None and value < least:
            raise UsageError(f"{flag} must be at least {least}, not {value}")


@contextlib.contextmanager
def emulator_state(path: Path) -> Iterator[None]:
    """Around loading the emulator's state file only: a corrupt file (hand-edited, or cut
    short by a kill) is one clear line saying what to do, not a traceback from the loader."""
    from reconciler.errors import UsageError

    try:
        yield
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise UsageError(
            f"cannot read the emulator state {path}: it is not a state file this version "
            f"wrote ({type(exc).__name__}); delete it to start from an empty emulator"
        ) from exc
    except OSError as exc:
        raise UsageError(f"cannot read the emulator state {path}: {exc.strerror or exc}") from exc


def plan_options(args: argparse.Namespace) -> Any:
    from reconciler.plan.planner import Options

    return Options(strict=args.strict, compare_secrets=args.secrets == "compare", prune=args.prune)


def _owner_name(value: str) -> str:
    import re

    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,62}", value):
        raise argparse.ArgumentTypeError("lowercase letters, digits, '.', '_', '-' (1-63)")
    return value


def add_env_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="read KEY=VALUE lines for ${VAR} and secret references (the real environment "
        "wins); values only, never the tool's own RECONCILER_* settings; repeatable",
    )
    parser.add_argument(
        "--secrets-dir",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="let {fromFile: PATH} read files in DIR too (by default only files in the "
        "manifests' repository); repeatable",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for ${NAME} in manifests; ${NAME} also reads --env-file values and "
        "RECONCILER_VAR_NAME from the environment, nothing else; repeatable",
    )


ENDPOINT_HELP = (
    "ARM base URL (default: $RECONCILER_ARM_ENDPOINT or https://management.azure.com); http "
    "only for loopback, where it is an emulator that serves the Playwright audits too"
)


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    """Which Azure a command talks to: an endpoint, or the embedded emulator and its state."""
    parser.add_argument("--endpoint", metavar="URL", help=ENDPOINT_HELP)
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="run against the embedded local emulator instead of Azure",
    )
    parser.add_argument(
        "--emulator-state",
        type=Path,
        metavar="FILE",
        help="state file of the embedded emulator (default: .reconciler/emulator-state.json)",
    )


def add_azure_options(parser: argparse.ArgumentParser, *, parallelism: int | None) -> None:
    """Where to send requests and how, for the commands outside plan/drift/apply."""
    _add_target_options(parser)
    if parallelism is None:
        parser.add_argument("--parallelism", type=int, default=1, help=argparse.SUPPRESS)
    else:
        parser.add_argument(
            "--parallelism",
            type=int,
            default=parallelism,
            help=f"concurrent requests to Azure (default {parallelism})",
        )
    parser.add_argument(
        "--retries",
        type=int,
        default=5,
        help="retries of throttled, unavailable or failed requests (default 5)",
    )


def add_plan_options(parser: argparse.ArgumentParser, *, formats: bool = True) -> None:
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="manifest files or directories"
    )
    _add_target_options(parser)
    parser.add_argument(
        "--playwright-endpoint",
        metavar="URL",
        help="send Playwright audits here instead of their manifests' endpoint, and accept it "
        "in manifests (default: the emulator, with --emulator or a loopback --endpoint); "
        "otherwise a manifest may only name https://{region}.api.playwright.microsoft.com",
    )
    if formats:
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="text",
            help="output: text (default), json (schemas/plan.schema.json) or markdown "
            "(for pull-request comments)",
        )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="limit to this resource (full address or trailing part, e.g. "
        "'myws' or 'myws/myconn'); repeatable",
    )
    parser.add_argument(
        "--strict", action="store_true", help="also report live fields the manifests do not declare"
    )
    parser.add_argument(
        "--shard",
        metavar="INDEX/COUNT",
        help="only this shard of the declared workspaces (with their connections), split "
        "deterministically by subscription and workspace, e.g. 2/4 in a CI matrix",
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="delete connections that are no longer declared and carry this tool's ownership "
        "marker (never workspaces, never anything it did not create)",
    )
    parser.add_argument(
        "--owner",
        type=_owner_name,
        metavar="NAME",
        help="this configuration's owner (overrides owner in Defaults): apply marks what it "
        "creates managed-by: azureml-reconciler/NAME and --prune deletes only what is so marked",
    )
    parser.add_argument(
        "--secrets",
        choices=["compare", "skip"],
        default="compare",
        help="compare secrets with listsecrets (default) or skip that call",
    )
    parser.add_argument(
        "--parallelism", type=int, default=8, help="concurrent requests to Azure (default 8)"
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=5,
        help="retries of throttled, unavailable or failed requests (default 5)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="give up on one HTTP request after this long, its whole body included, then "
        "retry (default 60)",
    )
    parser.add_argument("--allow-literal-secrets", action="store_true", help=argparse.SUPPRESS)
    add_env_file(parser)
