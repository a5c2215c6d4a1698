"""The ``reconciler`` command line: the argument parser and the entry point.

The commands themselves live in :mod:`reconciler.commands`; neither holds logic of its own,
they wire the modules together. Heavy modules are imported inside the command functions so
that ``reconciler --version`` and ``reconciler validate`` start fast in CI. Every
:class:`ReconcilerError` becomes a message on stderr and a non-zero exit; no traceback reaches
the user for bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from reconciler import __version__
from reconciler.commands.common import (
    EXIT_ERROR,
    add_azure_options,
    add_env_file,
    add_plan_options,
    add_playwright_endpoint,
    check_usage,
)
from reconciler.commands.planning import cmd_apply, cmd_drift, cmd_plan, cmd_validate
from reconciler.commands.tokens import cmd_notebook_token, cmd_playwright_tokens
from reconciler.commands.tools import (
    cmd_completion,
    cmd_emulator,
    cmd_export,
    cmd_schemas_generate,
)
from reconciler.errors import ReconcilerError

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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

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

    drift = commands.add_parser(
        "drift",
        help="detect drift, for schedules",
        description="The plan's comparison, for a schedule. Exit 0 = in sync, 2 = drift, "
        "1 = error. Writes a Markdown summary to $GITHUB_STEP_SUMMARY when set.",
    )
    add_plan_options(drift)
    drift.add_argument("--out", type=Path, metavar="FILE", help="also save the report as JSON")
    drift.set_defaults(func=cmd_drift)

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

    nb = commands.add_parser(
        "notebook-token",
        help="get a workspace's notebook access token",
        description="Call listNotebookAccessToken for a workspace declared in the manifests. "
        "Tokens are redacted unless --show-secrets; in GitHub Actions a printed token is "
        "masked first with ::add-mask::.",
    )
    nb.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="manifest files or directories"
    )
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
    pw.add_argument(
        "--retries",
        type=int,
        default=5,
        help="retries of throttled, unavailable or failed requests (default 5)",
    )
    pw.set_defaults(func=cmd_playwright_tokens)

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
    add_azure_options(export, parallelism=8)
    export.set_defaults(func=cmd_export)

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

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for bash or zsh.",
    )
    completion.add_argument("shell", choices=["bash", "zsh"], help="bash or zsh")
    completion.set_defaults(func=cmd_completion)

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
    for name, sub in commands.choices.items():
        # -v also after the command (`reconciler plan -v …`); SUPPRESS keeps a -v given
        # before it.
        sub.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS, help=VERBOSE)
        if name in EXAMPLES:
            sub.epilog = "example:\n  " + EXAMPLES[name]
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
    raise SystemExit(main())
