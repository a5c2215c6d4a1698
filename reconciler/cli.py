"""The ``reconciler`` command line: parses arguments and wires the modules together.

It holds no logic of its own. Heavy modules are imported inside the command functions so
that ``reconciler --version`` and ``reconciler validate`` start fast in CI. Every
:class:`ReconcilerError` becomes a message on stderr and a non-zero exit; no traceback reaches
the user for bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.errors import ReconcilerError

EXIT_OK = 0
EXIT_ERROR = 1


def _cmd_validate(args: argparse.Namespace) -> int:
    from reconciler import envfile
    from reconciler.manifest.load import LoadOptions, load

    result = load(
        args.paths,
        LoadOptions(
            allow_literal_secrets=args.allow_literal_secrets,
            check_secrets=not args.no_check_secrets,
        ),
        env=envfile.environment(args.env_file),
    )
    for problem in result.problems:
        print(problem.render())
    m = result.manifests
    if result.problems:
        files = len({p.file for p in result.problems})
        noun = "problem" if len(result.problems) == 1 else "problems"
        print(f"{len(result.problems)} {noun} in {files} file(s)", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"ok: {result.documents} document(s): {len(m.workspaces)} workspace(s), "
        f"{len(m.connections)} connection(s), {len(m.playwright)} Playwright token audit(s)",
        file=sys.stderr,
    )
    return EXIT_OK


EXIT_CHANGES = 2


def _color(stream: object) -> bool:
    import os

    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


@contextlib.contextmanager
def _session(args: argparse.Namespace) -> Iterator[tuple[Any, Any, dict[str, str]]]:
    """Manifests, where to send requests, and the environment, for plan/drift/apply."""
    from reconciler.session import (
        DEFAULT_EMULATOR_STATE,
        Target,
        embedded_emulator,
        environment_with,
        load_manifests,
        resolve_endpoint,
    )

    env = environment_with(args.env_file)
    manifests = load_manifests(
        args.paths,
        env,
        allow_literal_secrets=args.allow_literal_secrets,
        require_secrets=_needs_secrets(args),
    )
    if getattr(args, "shard", None):
        from reconciler.manifest import shard

        manifests = shard.select(manifests, *shard.parse(args.shard))
    with contextlib.ExitStack() as stack:
        if args.emulator:
            endpoint = stack.enter_context(
                embedded_emulator(manifests, args.emulator_state or DEFAULT_EMULATOR_STATE)
            )
        else:
            endpoint = resolve_endpoint(args.endpoint, env)
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


def _needs_secrets(args: argparse.Namespace) -> bool:
    """apply sends secrets and plan/drift compare them (unless --secrets skip); nothing else
    needs their values, so a drift job or a notebook-token call runs without them."""
    if args.func is _cmd_apply:
        return True
    return bool(getattr(args, "secrets", "skip") == "compare")


def _plan_options(args: argparse.Namespace) -> Any:
    from reconciler.plan.planner import Options

    return Options(strict=args.strict, compare_secrets=args.secrets == "compare", prune=args.prune)


def _compute_plan(args: argparse.Namespace) -> Any:
    import asyncio

    from reconciler.session import make_plan

    with _session(args) as (manifests, target, env):
        return asyncio.run(
            make_plan(
                manifests,
                target,
                env,
                options=_plan_options(args),
                targets=tuple(args.target),
                playwright_endpoint=target.endpoint if args.emulator else None,
            )
        )


def _emit(plan: object, args: argparse.Namespace, command: str) -> None:
    from reconciler.plan.model import Plan
    from reconciler.render import render
    from reconciler.render.json import render_json

    assert isinstance(plan, Plan)
    if getattr(args, "out", None):
        args.out.write_text(render_json(plan, command), encoding="utf-8")
    if args.format == "json":
        sys.stdout.write(render_json(plan, command))
    else:
        title = "drift report" if command == "drift" else "plan"
        sys.stdout.write(render(plan, args.format, color=_color(sys.stdout), title=title))


def _cmd_plan(args: argparse.Namespace) -> int:
    plan = _compute_plan(args)
    _emit(plan, args, "plan")
    has_changes = bool(getattr(plan, "has_changes", False))
    return EXIT_CHANGES if args.detailed_exitcode and has_changes else EXIT_OK


def _cmd_drift(args: argparse.Namespace) -> int:
    import os

    from reconciler.plan.model import Plan
    from reconciler.render.markdown import render_markdown

    plan = _compute_plan(args)
    assert isinstance(plan, Plan)
    _emit(plan, args, "drift")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(render_markdown(plan, title="drift report"))
    return EXIT_CHANGES if plan.has_drift else EXIT_OK


def _cmd_apply(args: argparse.Namespace) -> int:
    from reconciler.apply.runner import run_apply

    with _session(args) as (manifests, target, env):
        return run_apply(
            manifests,
            target,
            env,
            options=_plan_options(args),
            targets=tuple(args.target),
            saved_plan=args.plan,
            auto_approve=args.auto_approve,
            allow_replace=args.allow_replace,
            timeout=args.timeout,
            color=_color(sys.stdout),
            playwright_endpoint=target.endpoint if args.emulator else None,
            deadline=args.deadline,
            live_view=_color(sys.stdout),
        )


def _cmd_notebook_token(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from reconciler import notebook
    from reconciler.errors import UsageError
    from reconciler.session import arm_client

    with _session(args) as (manifests, target, _):
        matches = [
            w for w in manifests.workspaces if w.address.name.lower() == args.workspace.lower()
        ]
        if not matches:
            known = ", ".join(sorted(w.address.name for w in manifests.workspaces)) or "none"
            raise UsageError(
                f"no workspace named {args.workspace!r} in the manifests (declared: {known})"
            )
        if len(matches) > 1:
            raise UsageError(
                f"{args.workspace!r} names several workspaces: "
                + ", ".join(str(w.address) for w in matches)
            )

        async def go() -> Any:
            async with arm_client(target) as client:
                return await notebook.fetch(client, matches[0].address)

        token = asyncio.run(go())
    sys.stdout.write(
        notebook.render(
            token,
            fmt=args.format,
            show_secrets=args.show_secrets,
            github_actions=os.environ.get("GITHUB_ACTIONS") == "true",
        )
    )
    return EXIT_OK


def _cmd_playwright_tokens(args: argparse.Namespace) -> int:
    import asyncio
    import json

    from reconciler.arm.auth import PLAYWRIGHT_SCOPE, check_endpoint, provider_for
    from reconciler.arm.client import ArmClient, RetryPolicy
    from reconciler.playwright.client import list_tokens

    endpoint = check_endpoint(args.endpoint)

    async def go() -> Any:
        async with ArmClient(
            endpoint,
            provider_for(endpoint, PLAYWRIGHT_SCOPE),
            retry=RetryPolicy(max_attempts=args.retries + 1),
        ) as client:
            return await list_tokens(
                client, args.account, odata_filter=args.filter, orderby=args.orderby, top=args.top
            )

    tokens = asyncio.run(go())

    def when(moment: Any) -> str | None:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None

    rows = [
        {
            "name": t.name,
            "state": t.state,
            "createdAt": when(t.created_at),
            "expiryAt": when(t.expiry_at),
            "id": t.id,
        }
        for t in tokens
    ]
    if args.format == "json":
        print(json.dumps({"account": args.account, "tokens": rows}, indent=2))
    else:
        print(f"{'NAME':<32} {'STATE':<8} {'CREATED':<21} EXPIRES")
        for r in rows:
            print(
                f"{r['name']:<32} {r['state']:<8} {r['createdAt'] or '-':<21} "
                f"{r['expiryAt'] or '-'}"
            )
        print(f"{len(rows)} token(s) in account {args.account}")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    import asyncio

    from reconciler import export
    from reconciler.session import Target, arm_client, resolve_endpoint

    def run(endpoint: str) -> Any:
        async def go() -> Any:
            async with arm_client(
                Target(endpoint, parallelism=args.parallelism, retries=args.retries)
            ) as client:
                return await export.read(
                    client, args.subscription, args.resource_group, args.workspace
                )

        return asyncio.run(go())

    if args.emulator:
        from reconciler.emulator import Emulator, running
        from reconciler.session import DEFAULT_EMULATOR_STATE

        state = args.emulator_state or DEFAULT_EMULATOR_STATE
        with running(Emulator(state_file=state)) as url:
            exported = run(url)
    else:
        import os

        exported = run(resolve_endpoint(args.endpoint, os.environ))
    files = export.files_for(args.out, exported)
    if not files:
        print("nothing to export: no workspace matched", file=sys.stderr)
        return EXIT_ERROR
    for file in files:
        file.path.parent.mkdir(parents=True, exist_ok=True)
        file.path.write_text(file.text, encoding="utf-8")
        print(
            f"wrote {file.path}"
            + (f" ({len(file.env_vars)} secret variable(s) to set)" if file.env_vars else "")
        )
    return EXIT_OK


def _add_plan_options(parser: argparse.ArgumentParser) -> None:
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
    parser.add_argument("--format", choices=["text", "json", "markdown"], default="text")
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
    _add_env_file(parser)


def _cmd_emulator(args: argparse.Namespace) -> int:
    import tempfile

    from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, LroMode
    from reconciler.emulator.server import make_server
    from reconciler.emulator.tls import self_signed

    knobs = Knobs(
        latency_ms=args.latency_ms,
        provisioning_seconds=args.provisioning_seconds,
        lro_mode=LroMode(args.lro_mode),
        throttle=args.throttle,
        seed=args.seed,
    )
    groups = tuple((DEFAULT_SUBSCRIPTION, rg) for rg in args.resource_group)
    emulator = Emulator(knobs=knobs, state_file=args.state, resource_groups=groups)
    certificate = None
    if args.https:
        certificate = self_signed(Path(tempfile.mkdtemp(prefix="reconciler-emulator-")))
    try:
        server = make_server(emulator, host=args.host, port=args.port, certificate=certificate)
    except (OSError, ValueError) as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"emulator listening on {server.base_url}", flush=True)
    if certificate:
        print(f"certificate (trust it as the CA bundle): {certificate[0]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def _cmd_completion(args: argparse.Namespace) -> int:
    from reconciler import completion

    parser = build_parser()
    sys.stdout.write(completion.bash(parser) if args.shell == "bash" else completion.zsh(parser))
    return EXIT_OK


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


def _cmd_schemas_generate(args: argparse.Namespace) -> int:
    from reconciler.schemas import generate

    argv = []
    if args.specs:
        argv += ["--specs", str(args.specs)]
    if args.out:
        argv += ["--out", str(args.out)]
    return generate.main(argv)


def _add_env_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="read KEY=VALUE lines into the environment used for ${VAR} and "
        "secret references (the real environment wins); repeatable",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reconciler",
        description="Declarative reconciler for Azure Machine Learning workspaces and connections.",
    )
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log requests to stderr (-v info, -vv debug); never headers, bodies or secrets",
    )
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
    _add_env_file(validate)
    validate.set_defaults(func=_cmd_validate)

    plan = commands.add_parser(
        "plan",
        help="show what apply would change",
        description="Read live state and show what applying the manifests would change. "
        "Exit 0 = success (with --detailed-exitcode: no changes), 2 = changes "
        "(--detailed-exitcode), 1 = error.",
    )
    _add_plan_options(plan)
    plan.add_argument("--out", type=Path, metavar="FILE", help="also save the plan as JSON")
    plan.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 2 when there are changes"
    )
    plan.set_defaults(func=_cmd_plan)

    drift = commands.add_parser(
        "drift",
        help="detect drift, for schedules",
        description="The plan's comparison, for a schedule. Exit 0 = in sync, 2 = drift, "
        "1 = error. Writes a Markdown summary to $GITHUB_STEP_SUMMARY when set.",
    )
    _add_plan_options(drift)
    drift.add_argument("--out", type=Path, metavar="FILE", help="also save the report as JSON")
    drift.set_defaults(func=_cmd_drift)

    apply = commands.add_parser(
        "apply",
        help="make Azure match the manifests",
        description="Plan, confirm, then apply: PUTs in dependency order, long-running "
        "operations followed to the end. Exit 0 only when everything succeeded.",
    )
    _add_plan_options(apply)
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
        help="limit for the whole apply (default: none)",
    )
    apply.set_defaults(func=_cmd_apply)

    nb = commands.add_parser(
        "notebook-token",
        help="get a workspace's notebook access token",
        description="Call listNotebookAccessToken for a workspace declared in the manifests. "
        "Tokens are redacted unless --show-secrets; in GitHub Actions a printed token is "
        "masked first with ::add-mask::.",
    )
    nb.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    nb.add_argument("--workspace", required=True, metavar="NAME")
    nb.add_argument("--format", choices=["text", "json"], default="text")
    nb.add_argument(
        "--show-secrets", action="store_true", help="print accessToken and refreshToken"
    )
    nb.add_argument("--endpoint")
    nb.add_argument("--emulator", action="store_true")
    nb.add_argument("--emulator-state", type=Path, metavar="FILE")
    nb.add_argument("--parallelism", type=int, default=1, help=argparse.SUPPRESS)
    nb.add_argument("--retries", type=int, default=5)
    nb.add_argument("--allow-literal-secrets", action="store_true", help=argparse.SUPPRESS)
    _add_env_file(nb)
    nb.set_defaults(func=_cmd_notebook_token)

    pw = commands.add_parser(
        "playwright-tokens",
        help="list a Playwright Testing account's access tokens",
        description="List access tokens (names, states, dates; never the JWT) for an audit.",
    )
    pw.add_argument("--account", required=True, metavar="ID")
    pw.add_argument(
        "--endpoint",
        required=True,
        metavar="URL",
        help="e.g. https://eastus.api.playwright.microsoft.com",
    )
    pw.add_argument("--filter", metavar="ODATA", help="e.g. \"state eq 'Active'\"")
    pw.add_argument("--orderby", metavar="ODATA", help="e.g. 'expiryAt asc'")
    pw.add_argument("--top", type=int)
    pw.add_argument("--format", choices=["text", "json"], default="text")
    pw.add_argument("--retries", type=int, default=5)
    pw.set_defaults(func=_cmd_playwright_tokens)

    export = commands.add_parser(
        "export",
        help="write manifests for existing workspaces and connections",
        description="Read live workspaces and their connections and write manifests, one file "
        "per workspace. Credentials become {fromEnv: NAME} references listed at the top of each "
        "file; their values are never written.",
    )
    export.add_argument("--subscription", required=True)
    export.add_argument("--resource-group", metavar="RG")
    export.add_argument("--workspace", metavar="NAME")
    export.add_argument("--out", type=Path, default=Path("exported"), metavar="DIR")
    export.add_argument("--endpoint")
    export.add_argument("--emulator", action="store_true")
    export.add_argument("--emulator-state", type=Path, metavar="FILE")
    export.add_argument("--parallelism", type=int, default=8)
    export.add_argument("--retries", type=int, default=5)
    export.set_defaults(func=_cmd_export)

    emulator = commands.add_parser(
        "emulator",
        help="serve the local Azure emulator on loopback",
        description="Serve an emulator of the Azure ML management API and the Playwright "
        "Testing access-token API on loopback, for demos, tests and benchmarks.",
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8765)
    emulator.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="persist state to this JSON file (survives restarts)",
    )
    emulator.add_argument(
        "--https", action="store_true", help="serve HTTPS with a generated self-signed certificate"
    )
    emulator.add_argument(
        "--resource-group",
        action="append",
        metavar="NAME",
        default=["workspace-1234"],
        help="seed a resource group in the default subscription; repeatable",
    )
    emulator.add_argument("--latency-ms", type=float, default=0.0)
    emulator.add_argument("--provisioning-seconds", type=float, default=0.0)
    emulator.add_argument(
        "--lro-mode",
        default="202-async",
        choices=["202-async", "202-location", "201-async", "200-state"],
    )
    emulator.add_argument(
        "--throttle",
        action="store_true",
        help="enforce ARM's read and write token buckets (429 + Retry-After)",
    )
    emulator.add_argument("--seed", type=int, default=0, help="seed for injected randomness")
    emulator.set_defaults(func=_cmd_emulator)

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for bash or zsh.",
    )
    completion.add_argument("shell", choices=["bash", "zsh"])
    completion.set_defaults(func=_cmd_completion)

    schemas = commands.add_parser("schemas", help="work with the generated JSON Schemas")
    schema_commands = schemas.add_subparsers(
        dest="schemas_command", metavar="ACTION", required=True
    )
    gen = schema_commands.add_parser("generate", help="regenerate schemas/ from the specs")
    gen.add_argument("--specs", type=Path, help="directory of the OpenAPI files")
    gen.add_argument("--out", type=Path, help="output directory (default: schemas/)")
    gen.set_defaults(func=_cmd_schemas_generate)
    for name, sub in commands.choices.items():
        if name in EXAMPLES:
            sub.epilog = "example:\n  " + EXAMPLES[name]
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        import logging

        logging.basicConfig(
            level=logging.DEBUG if args.verbose > 1 else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        code: int = args.func(args)
    except ReconcilerError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    raise SystemExit(main())
