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
    from reconciler.session import (
        DEFAULT_EMULATOR_STATE,
        Target,
        embedded_emulator,
        load_manifests,
        resolve_endpoint,
    )

    env = envfile.environment(args.env_file)
    allow_secrets_dirs(args)
    manifests = load_manifests(
        args.paths,
        env,
        allow_literal_secrets=args.allow_literal_secrets,
        require_secrets=require_secrets,
        playwright_endpoints=allowed_playwright_endpoints(args),
        variables=envfile.variables(args.env_file, getattr(args, "var", [])),
    )
    manifests = with_owner(manifests, args)
    if getattr(args, "shard", None):
        from reconciler.manifest import shard

        manifests = shard.select(manifests, *shard.parse(args.shard))
    with contextlib.ExitStack() as stack:
        if args.emulator:
            endpoint = stack.enter_context(
                embedded_emulator(manifests, args.emulator_state or DEFAULT_EMULATOR_STATE)
            )
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
    """Playwright endpoints the command line allows besides the documented service hosts."""
    given = getattr(args, "playwright_endpoint", None)
    return (given,) if given else ()


def playwright_override(args: argparse.Namespace, endpoint: str) -> str | None:
    """Where Playwright audits go instead of their manifests' endpoint: --playwright-endpoint,
    or the embedded emulator (which serves the Playwright API too)."""
    given: str | None = getattr(args, "playwright_endpoint", None)
    return given or (endpoint if getattr(args, "emulator", False) else None)


def add_playwright_endpoint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--playwright-endpoint",
        metavar="URL",
        help="send PlaywrightAccessTokens audits to this endpoint (e.g. a local emulator) "
        "instead of their manifests' endpoint, and accept it in manifests; without it a "
        "manifest may only name https://{region}.api.playwright.microsoft.com",
    )


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


def add_plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="manifest files or directories"
    )
    parser.add_argument(
        "--endpoint",
        help="ARM base URL (default: $RECONCILER_ARM_ENDPOINT or "
        "https://management.azure.com); http only for loopback",
    )
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
    parser.add_argument("--format", choices=FORMATS, default="text")
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
        help="give up on one HTTP request after this long, then retry (default 60)",
    )
    parser.add_argument("--allow-literal-secrets", action="store_true", help=argparse.SUPPRESS)
    add_playwright_endpoint(parser)
    add_env_file(parser)
