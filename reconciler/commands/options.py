"""The options several commands share, each group defined once: where to send requests,
the inputs of a manifest load, and what plan, drift and apply take.

Definitions only: what an option means at run time is the command's business
(:mod:`reconciler.commands.common`).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from reconciler.render import FORMATS

ENDPOINT_HELP = (
    "ARM base URL (default: $RECONCILER_ARM_ENDPOINT or https://management.azure.com); http "
    "only for loopback, where it is an emulator that serves the Playwright audits too"
)
RETRIES_HELP = "retries of throttled, unavailable or failed requests (default 5)"


def _owner_name(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,62}", value):
        raise argparse.ArgumentTypeError("lowercase letters, digits, '.', '_', '-' (1-63)")
    return value


def add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="manifest files or directories"
    )


def add_playwright_endpoint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--playwright-endpoint",
        metavar="URL",
        help="send PlaywrightAccessTokens audits to this endpoint (e.g. a local emulator) "
        "instead of their manifests' endpoint, and accept it in manifests; without it a "
        "manifest may only name https://{region}.api.playwright.microsoft.com",
    )


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


# Concurrent requests by default: chosen by measurement (bench/README.md, "Choosing
# --parallelism"): where a plan of 200 workspaces x 5 connections stops getting much faster
# (64 gains ~7 % more), at no more CPU than 16; past the read bucket's burst of 250, ARM's
# refill (25 reads a second) sets the pace whatever the parallelism.
DEFAULT_PARALLELISM = 32


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
    parser.add_argument("--retries", type=int, default=5, help=RETRIES_HELP)


def add_plan_options(parser: argparse.ArgumentParser, *, formats: bool = True) -> None:
    """What plan, drift and apply share (apply prints text only: no ``--format``)."""
    add_paths(parser)
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
    _add_selection(parser)
    _add_request_limits(parser)
    parser.add_argument("--allow-literal-secrets", action="store_true", help=argparse.SUPPRESS)
    add_env_file(parser)


def add_destroy_inputs(parser: argparse.ArgumentParser) -> None:
    """What destroy shares with plan: its manifests, where Azure is, the plan's format, the
    selection by address and the request limits (no comparison options: nothing is compared)."""
    add_paths(parser)
    _add_target_options(parser)
    add_playwright_endpoint(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="the destroy plan as text (default), json (schemas/plan.schema.json) or markdown; "
        "progress then goes to stderr",
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="limit to this declared resource (full address or trailing part, e.g. "
        "'myws/myconn'; a workspace's name selects what it holds too); repeatable",
    )
    _add_request_limits(parser)
    parser.add_argument("--allow-literal-secrets", action="store_true", help=argparse.SUPPRESS)
    add_env_file(parser)


def _add_selection(parser: argparse.ArgumentParser) -> None:
    """Which resources the plan covers and how it compares them."""
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
        "marker, and a workspace's undeclared user-defined outbound rules where this "
        "configuration declares its managed network and rules (never workspaces, never what "
        "Azure made)",
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


def _add_request_limits(parser: argparse.ArgumentParser) -> None:
    """How many requests at once, how often retried, how long each may take."""
    parser.add_argument(
        "--parallelism",
        type=int,
        default=DEFAULT_PARALLELISM,
        help=f"concurrent requests to Azure (default {DEFAULT_PARALLELISM})",
    )
    parser.add_argument("--retries", type=int, default=5, help=RETRIES_HELP)
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="give up on one HTTP request after this long, its whole body included, then "
        "retry (default 60)",
    )
