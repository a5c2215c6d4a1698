"""validate, plan, drift and apply: wiring the loader, reader, planner, renderers and applier."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.commands.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    allow_secrets_dirs,
    allowed_playwright_endpoints,
    color,
    plan_options,
    playwright_override,
    session,
)


def cmd_validate(args: argparse.Namespace) -> int:
    from reconciler import envfile
    from reconciler.manifest.load import load
    from reconciler.session import load_options

    allow_secrets_dirs(args)
    result = load(
        args.paths,
        load_options(
            allow_literal_secrets=args.allow_literal_secrets,
            require_secrets=not args.no_check_secrets,
            playwright_endpoints=allowed_playwright_endpoints(args),
            variables=envfile.variables(args.env_file, args.var),
        ),
        env=envfile.environment(args.env_file),
    )
    from reconciler.render.safe import lines

    for problem in result.problems:
        print(lines(problem.render()))
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


def compute_plan(args: argparse.Namespace) -> Any:
    import asyncio

    from reconciler.session import make_plan

    with session(args, require_secrets=args.secrets == "compare") as (manifests, target, env):
        return asyncio.run(
            make_plan(
                manifests,
                target,
                env,
                options=plan_options(args),
                targets=tuple(args.target),
                playwright_endpoint=playwright_override(args, target.endpoint),
            )
        )


def emit(plan: object, args: argparse.Namespace, command: str) -> None:
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
        sys.stdout.write(render(plan, args.format, color=color(sys.stdout), title=title))


def cmd_plan(args: argparse.Namespace) -> int:
    plan = compute_plan(args)
    emit(plan, args, "plan")
    has_changes = bool(getattr(plan, "has_changes", False))
    return EXIT_CHANGES if args.detailed_exitcode and has_changes else EXIT_OK


def cmd_drift(args: argparse.Namespace) -> int:
    import os

    from reconciler.plan.model import Plan
    from reconciler.render.markdown import render_markdown

    plan = compute_plan(args)
    assert isinstance(plan, Plan)
    emit(plan, args, "drift")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(render_markdown(plan, title="drift report"))
    return EXIT_CHANGES if plan.has_drift else EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    from reconciler.apply.runner import run_apply

    with session(args, require_secrets=True) as (manifests, target, env):
        return run_apply(
            manifests,
            target,
            env,
            options=plan_options(args),
            targets=tuple(args.target),
            saved_plan=args.plan,
            auto_approve=args.auto_approve,
            allow_replace=args.allow_replace,
            timeout=args.timeout,
            color=color(sys.stdout),
            playwright_endpoint=playwright_override(args, target.endpoint),
            deadline=args.deadline,
            live_view=color(sys.stdout),
        )
