"""The ``reconciler`` argument parser: one small function per command, each declaring its
options and the function that runs it.

Definitions only. Shared option groups are in :mod:`reconciler.commands.options`; what each
command does is in its module of :mod:`reconciler.commands`. The CLI builds this parser and
hands it to ``completion``, which mirrors it: nothing here imports the CLI.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.commands.options import (
    DEFAULT_PARALLELISM,
    RETRIES_HELP,
    add_azure_options,
    add_destroy_inputs,
    add_env_file,
    add_paths,
    add_plan_options,
    add_playwright_endpoint,
)
from reconciler.commands.planning import (
    cmd_apply,
    cmd_destroy,
    cmd_drift,
    cmd_plan,
    cmd_validate,
)
from reconciler.commands.tokens import cmd_notebook_token, cmd_playwright_tokens
from reconciler.commands.tools import (
    cmd_completion,
    cmd_emulator,
    cmd_export,
    cmd_schemas_generate,
)

Subcommands = Any  # argparse's _SubParsersAction, private in typeshed's eyes

EXAMPLES = {
    "validate": "reconciler validate manifests/\n"
    "  reconciler validate --no-check-secrets manifests/   # pre-commit, no secrets",
    "plan": "reconciler plan manifests/\n"
    "  reconciler plan --format markdown --out plan.json manifests/ > plan.md\n"
    "  reconciler plan --detailed-exitcode --target myws manifests/",
    "apply": "reconciler apply manifests/                       # asks on a terminal\n"
    "  reconciler apply --plan plan.json manifests/     # a reviewed plan, in CI\n"
    "  reconciler apply --emulator --auto-approve manifests/examples/",
    "drift": "reconciler drift --format json --out drift.json manifests/\n"
    "  reconciler drift --shard 2/4 manifests/          # one job of a CI matrix",
    "destroy": "reconciler destroy manifests/team-a/             # connections and rules\n"
    "  reconciler destroy --include-workspaces --confirm-workspaces ws1,ws2 --purge "
    "--auto-approve manifests/team-a/",
    "notebook-token": "reconciler notebook-token manifests/ --workspace myws --format json",
    "playwright-tokens": "reconciler playwright-tokens --account eastus_1234-abcd "
    "--endpoint https://eastus.api.playwright.microsoft.com "
    "--filter \"state eq 'Active'\"",
    "export": "reconciler export --subscription 00000000-0000-0000-0000-000000000000 "
    "--resource-group ml --out manifests/",
    "emulator": "reconciler emulator --port 8765 --state emulator.json --latency-ms 50",
    "completion": 'eval "$(reconciler completion bash)"',
    "schemas": "reconciler schemas generate",
}

VERBOSE = (
    "log to stderr: -v each request and its answer, -vv also retries, waits and the details "
    "of sign-in failures; never headers, bodies or secrets"
)


class _ApplyFormat(argparse.Action):
    """`apply --format` says what to do instead of "unrecognized arguments"."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object, **__: object) -> None:
        parser.error(
            "--format: apply prints its plan and progress as text only; for a JSON plan run "
            "`plan --format json --out plan.json`, then `apply --plan plan.json`"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reconciler",
        description="Declarative reconciler for Azure Machine Learning workspaces and connections.",
    )
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE)
    # Not an option: reconciler.cli.run sets it for the reconciler's own process.
    parser.set_defaults(whole_process=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    commands.choices["completion"].set_defaults(
        func=functools.partial(cmd_completion, parser=parser)
    )
    for name, sub in commands.choices.items():
        # -v also after the command (`reconciler plan -v …`); SUPPRESS keeps a -v given
        # before it.
        sub.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS, help=VERBOSE)
        if name in EXAMPLES:
            sub.epilog = "example:\n  " + EXAMPLES[name]
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _validate(commands: Subcommands) -> None:
    validate = commands.add_parser(
        "validate",
        help="check manifests without calling Azure",
        description="Check manifests against the schemas and cross-document rules. "
        "Exit 0 when valid, 1 when not; every problem is printed as file:line:column.",
    )
    validate.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="manifest files or directories (searched for *.yaml, *.yml)",
    )
    validate.add_argument(
        "--allow-literal-secrets",
        action="store_true",
        help="accept secrets written as literals (not for files in git)",
    )
    validate.add_argument(
        "--no-check-secrets",
        action="store_true",
        help="do not require referenced secret variables and files to exist "
        "(for pre-commit hooks on machines without the secrets)",
    )
    add_playwright_endpoint(validate)
    add_env_file(validate)
    validate.set_defaults(func=cmd_validate)


def _plan(commands: Subcommands) -> None:
    plan = commands.add_parser(
        "plan",
        help="show what apply would change",
        description="Read live state and show what applying the manifests would change. "
        "Exit 0 = success (with --detailed-exitcode: no changes), 2 = changes "
        "(--detailed-exitcode), 1 = error.",
    )
    add_plan_options(plan)
    plan.add_argument("--out", type=Path, metavar="FILE", help="also save the plan as JSON")
    plan.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 2 when there are changes"
    )
    plan.set_defaults(func=cmd_plan)


def _drift(commands: Subcommands) -> None:
    drift = commands.add_parser(
        "drift",
        help="detect drift, for schedules",
        description="The plan's comparison, for a schedule. Exit 0 = in sync, 2 = drift, "
        "1 = error. Writes a Markdown summary to $GITHUB_STEP_SUMMARY when set.",
    )
    add_plan_options(drift)
    drift.add_argument("--out", type=Path, metavar="FILE", help="also save the report as JSON")
    drift.set_defaults(func=cmd_drift)


def _apply(commands: Subcommands) -> None:
    apply = commands.add_parser(
        "apply",
        help="make Azure match the manifests",
        description="Plan, confirm, then apply: PUTs in dependency order, long-running "
        "operations followed to the end. Exit 0 only when everything succeeded.",
    )
    # apply prints its plan and progress as text; a JSON plan comes from `plan --out`.
    add_plan_options(apply, formats=False)
    apply.add_argument("--format", action=_ApplyFormat, help=argparse.SUPPRESS)
    apply.set_defaults(format="text")
    apply.add_argument(
        "--auto-approve", action="store_true", help="apply without asking (required without a TTY)"
    )
    apply.add_argument(
        "--plan",
        type=Path,
        metavar="FILE",
        help="apply this saved plan (from plan --out); refused when stale",
    )
    apply.add_argument(
        "--allow-replace",
        action="store_true",
        help="delete and recreate resources whose create-only fields changed",
    )
    apply.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="per-resource limit for long-running operations (default 3600)",
    )
    apply.add_argument(
        "--deadline",
        type=float,
        metavar="SECONDS",
        help="limit for the whole apply: no retry, pacing or conflict wait goes past it "
        "(default: none)",
    )
    apply.set_defaults(func=cmd_apply)


def _destroy(commands: Subcommands) -> None:
    destroy = commands.add_parser(
        "destroy",
        help="delete what the manifests declare",
        description="Plan the deletion of what the manifests declare (connections and outbound "
        "rules; workspaces only with --include-workspaces), confirm, then delete children "
        "before their workspace, long-running operations followed to the end. Nothing that is "
        "not declared is deleted; what is already gone is a no-op, so a rerun converges. Exit "
        "0 only when everything planned was deleted.",
    )
    add_destroy_inputs(destroy)
    destroy.add_argument(
        "--out", type=Path, metavar="FILE", help="also save the destroy plan as JSON"
    )
    destroy.add_argument(
        "--plan-only",
        action="store_true",
        help="show (and with --out save) the destroy plan, delete nothing, exit 0: for a "
        "pull request's review of a teardown",
    )
    destroy.add_argument(
        "--auto-approve",
        action="store_true",
        help="delete without asking 'yes' (required without a TTY); never enough on its own "
        "to delete a workspace",
    )
    destroy.add_argument(
        "--include-workspaces",
        action="store_true",
        help="delete the declared workspaces too, after their contents, once confirmed by "
        "name (typed at the prompt, or --confirm-workspaces)",
    )
    destroy.add_argument(
        "--confirm-workspaces",
        dest="confirm",
        action="append",
        metavar="NAME,...",
        help="the names of exactly the workspaces the plan deletes, comma-separated (for CI); "
        "any other list deletes nothing",
    )
    destroy.add_argument(
        "--purge",
        action="store_true",
        help="delete workspaces for good (forceToPurge=true): without it Azure soft-deletes "
        "them and keeps their names taken for up to 14 days",
    )
    destroy.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="per-resource limit for long-running deletes (default 3600)",
    )
    destroy.add_argument(
        "--deadline",
        type=float,
        metavar="SECONDS",
        help="limit for the whole destroy, its plan included (default: none)",
    )
    destroy.set_defaults(func=cmd_destroy)


def _notebook_token(commands: Subcommands) -> None:
    nb = commands.add_parser(
        "notebook-token",
        help="get a workspace's notebook access token",
        description="Call listNotebookAccessToken for a workspace declared in the manifests. "
        "Tokens are redacted unless --show-secrets; in GitHub Actions a printed token is "
        "masked first with ::add-mask:: (with --format json, on stderr).",
    )
    add_paths(nb)
    nb.add_argument(
        "--workspace", required=True, metavar="NAME", help="a workspace declared in the manifests"
    )
    nb.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help='text (default) or json (a redacted token is null with "redacted": true)',
    )
    nb.add_argument(
        "--show-secrets", action="store_true", help="print accessToken and refreshToken"
    )
    add_azure_options(nb, parallelism=None)
    nb.add_argument("--allow-literal-secrets", action="store_true", help=argparse.SUPPRESS)
    add_playwright_endpoint(nb)
    add_env_file(nb)
    nb.set_defaults(func=cmd_notebook_token)


def _playwright_tokens(commands: Subcommands) -> None:
    pw = commands.add_parser(
        "playwright-tokens",
        help="list a Playwright Testing account's access tokens",
        description="List access tokens (names, states, dates; never the JWT) for an audit.",
    )
    pw.add_argument(
        "--account", required=True, metavar="ID", help="the account id, e.g. eastus_1234-abcd"
    )
    pw.add_argument(
        "--endpoint",
        required=True,
        metavar="URL",
        help="e.g. https://eastus.api.playwright.microsoft.com",
    )
    pw.add_argument("--filter", metavar="ODATA", help="e.g. \"state eq 'Active'\"")
    pw.add_argument("--orderby", metavar="ODATA", help="e.g. 'expiryAt asc'")
    pw.add_argument("--top", type=int, metavar="N", help="at most N tokens (default: all)")
    pw.add_argument(
        "--format", choices=["text", "json"], default="text", help="text (default) or json"
    )
    pw.add_argument("--retries", type=int, default=5, help=RETRIES_HELP)
    pw.set_defaults(func=cmd_playwright_tokens)


def _export(commands: Subcommands) -> None:
    export = commands.add_parser(
        "export",
        help="write manifests for existing workspaces and connections",
        description="Read live workspaces and their connections and write manifests, one file "
        "per workspace. Credentials become {fromEnv: NAME} references listed at the top of each "
        "file; their values are never written.",
    )
    export.add_argument(
        "--subscription", required=True, metavar="ID", help="the subscription to read"
    )
    export.add_argument(
        "--resource-group", metavar="RG", help="only this resource group (default: all)"
    )
    export.add_argument("--workspace", metavar="NAME", help="only this workspace (default: all)")
    export.add_argument(
        "--out",
        type=Path,
        default=Path("exported"),
        metavar="DIR",
        help="write DIR/<resource group>/<workspace>.yaml (default: exported/)",
    )
    export.add_argument(
        "--api-version",
        metavar="VERSION",
        help="read and write every kind that has it at this api-version, naming it in each "
        "document's metadata.apiVersion (the newest: managed networks, hubs and projects); "
        "default: each kind's own, or where it cannot express a resource the one that can",
    )
    add_azure_options(export, parallelism=DEFAULT_PARALLELISM)
    export.set_defaults(func=cmd_export)


def _emulator(commands: Subcommands) -> None:
    emulator = commands.add_parser(
        "emulator",
        help="serve the local Azure emulator on loopback",
        description="Serve an emulator of the Azure ML management API and the Playwright "
        "Testing access-token API on loopback, for demos, tests and benchmarks.",
    )
    from reconciler.emulator.command import add_arguments as add_emulator_arguments

    add_emulator_arguments(emulator)
    emulator.add_argument(
        "--demo",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="seed what --emulator seeds for these manifests: their resource groups and, per "
        "Playwright audit, an account holding its required tokens (default: "
        "manifests/examples/ with its demo.env)",
    )
    add_env_file(emulator)
    emulator.set_defaults(func=cmd_emulator)


def _completion(commands: Subcommands) -> None:
    """Its ``func`` is set by :func:`build_parser`, which holds the parser it mirrors."""
    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for bash or zsh.",
    )
    completion.add_argument("shell", choices=["bash", "zsh"], help="bash or zsh")


def _schemas(commands: Subcommands) -> None:
    schemas = commands.add_parser(
        "schemas",
        help="work with the generated JSON Schemas",
        description="The JSON Schemas in schemas/ (manifest, workspace, connection, Playwright "
        "audit, plan) are generated from the Azure OpenAPI specs; `generate` rewrites them.",
    )
    schema_commands = schemas.add_subparsers(
        dest="schemas_command", metavar="ACTION", required=True
    )
    gen = schema_commands.add_parser(
        "generate",
        help="regenerate schemas/ from the specs",
        description="Regenerate schemas/*.schema.json from the Azure OpenAPI files.",
    )
    gen.add_argument("--specs", type=Path, metavar="DIR", help="directory of the OpenAPI files")
    gen.add_argument("--out", type=Path, metavar="DIR", help="output directory (default: schemas/)")
    gen.set_defaults(func=cmd_schemas_generate)


# In the order `reconciler --help` lists them.
COMMANDS: tuple[Callable[[Subcommands], None], ...] = (
    _validate,
    _plan,
    _drift,
    _apply,
    _destroy,
    _notebook_token,
    _playwright_tokens,
    _export,
    _emulator,
    _completion,
    _schemas,
)
