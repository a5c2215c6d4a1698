"""validate, plan, drift, apply and destroy: wiring the loader, reader, planner, renderers and
applier."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path
from typing import Any

from reconciler.commands.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    allow_secrets_dirs,
    allowed_playwright_endpoints,
    color,
    plan_options,
    playwright_endpoint,
    session,
)


def cmd_validate(args: argparse.Namespace) -> int:
    from reconciler import envfile
    from reconciler.inputs import load_options
    from reconciler.manifest.load import load

    allow_secrets_dirs(args)
    env, variables = envfile.inputs(args.env_file, args.var)
    result = load(
        args.paths,
        load_options(
            allow_literal_secrets=args.allow_literal_secrets,
            require_secrets=not args.no_check_secrets,
            playwright_endpoints=allowed_playwright_endpoints(args),
            variables=variables,
        ),
        env=env,
    )
    from reconciler.render.safe import lines

    for problem in result.problems:
        print(lines(problem.render()))
    m = result.manifests
    if result.problems:
        print(_problem_summary(result.problems), file=sys.stderr)
        return EXIT_ERROR
    from reconciler.kinds import KINDS

    counted = [f"{len(m.of(k.kind))} {k.noun}(s)" for k in KINDS]
    print(
        f"ok: {result.documents} document(s): {', '.join(counted)}, "
        f"{len(m.playwright)} Playwright token audit(s)",
        file=sys.stderr,
    )
    return EXIT_OK


def _problem_summary(problems: list[Any]) -> str:
    """Count what was read apart from paths that do not exist: no file was read there."""
    missing = {p.file for p in problems if not p.file.exists()}
    in_files = [p for p in problems if p.file not in missing]
    parts = []
    if in_files:
        noun = "problem" if len(in_files) == 1 else "problems"
        parts.append(f"{len(in_files)} {noun} in {len({p.file for p in in_files})} file(s)")
    if missing:
        parts.append(f"{len(missing)} path(s) not found")
    return ", ".join(parts)


def compute_plan(args: argparse.Namespace, *, stamp: bool = False) -> tuple[Any, Any]:
    """The plan, and with ``stamp`` the secret stamp a saved plan carries (else None).

    In the reconciler's own process the cyclic collector is paused throughout: importing the
    HTTP stack, reading and deciding allocate hundreds of thousands of objects that live to
    the end (modules, live bodies, decisions), so the passes those allocations set off free
    next to nothing and walk an ever larger heap (~5 % of a plan's CPU, 200 x 5 as 1,000 x 9).
    What reading leaves in cycles (a closure's cell, a pool's transport) is one set a plan,
    not one a request (``ArmClient`` lets each answer's stream go), and is collected after.
    """
    from reconciler.manifest.load import collector_paused

    if not args.whole_process or args.emulator or not gc.isenabled():
        return _compute_plan(args, stamp=stamp)
    with collector_paused():
        try:
            return _compute_plan(args, stamp=stamp)
        finally:
            # What was made lives to the end (the plan, the modules imported): frozen, not
            # walked again by the passes that rendering would set off.
            gc.freeze()


def _compute_plan(args: argparse.Namespace, *, stamp: bool) -> tuple[Any, Any]:
    from reconciler.arm.loop import run_async
    from reconciler.session import make_plan

    with session(args, require_secrets=args.secrets == "compare") as (manifests, target, env):
        secret_stamp = None
        if stamp:
            from reconciler.apply import secretcheck
            from reconciler.manifest import secrets

            secret_stamp = secretcheck.stamp(
                secrets.values_for_comparison(manifests.resources, env)
            )
        plan = run_async(
            make_plan(
                manifests,
                target,
                env,
                options=plan_options(args),
                targets=tuple(args.target),
                playwright_endpoint=playwright_endpoint(args, target.endpoint),
            )
        )
    check_targets(plan, tuple(args.target))
    return plan, secret_stamp


def check_targets(plan: Any, targets: tuple[str, ...]) -> None:
    from reconciler.errors import UsageError
    from reconciler.plan.targeting import unmatched_targets

    missing = unmatched_targets(plan.changes, targets)
    if missing:
        names = ", ".join(repr(t) for t in missing)
        raise UsageError(
            f"--target {names} matches nothing declared or found in Azure; "
            "give a full address or its trailing part, e.g. 'myws' or 'myws/myconn'"
        )


def emit(plan: object, args: argparse.Namespace, command: str, secret_stamp: Any = None) -> None:
    from reconciler.manifest.load import collector_paused
    from reconciler.plan.model import Plan

    assert isinstance(plan, Plan)
    # Rendering builds the output's dicts and strings, no cycle among them, while everything
    # read is still alive: each full pass of the collector set off by those allocations walks
    # the whole read estate and frees next to nothing (~0.2 s of CPU, 10,000 resources).
    with collector_paused():
        _emit(plan, args, command, secret_stamp)


def _emit(plan: Any, args: argparse.Namespace, command: str, secret_stamp: Any) -> None:
    from reconciler.render import render
    from reconciler.render.json import render_json, render_saved

    # stdout first: should the file fail after all, the plan is still on screen / in the log.
    shown = None
    if args.format == "json":
        shown = render_json(plan, command)
        sys.stdout.write(shown)
    else:
        title = {"drift": "drift report", "destroy": "destroy plan"}.get(command, "plan")
        sys.stdout.write(render(plan, args.format, color=color(sys.stdout), title=title))
    sys.stdout.flush()
    if getattr(args, "out", None):
        from reconciler import outputfile

        if secret_stamp is not None:
            text = render_saved(plan, command, secret_stamp)
        else:
            text = shown if shown is not None else render_json(plan, command)
        outputfile.write_text(args.out, text, what=f"the {command} file")


def check_out(args: argparse.Namespace, command: str) -> None:
    """Refuse an --out that cannot be written before reading Azure, not after."""
    if getattr(args, "out", None):
        from reconciler import outputfile

        outputfile.check_writable_dir(args.out, f"the {command} file")


def cmd_plan(args: argparse.Namespace) -> int:
    check_out(args, "plan")
    plan, secret_stamp = compute_plan(args, stamp=bool(args.out))
    emit(plan, args, "plan", secret_stamp)
    has_changes = bool(getattr(plan, "has_changes", False))
    return EXIT_CHANGES if args.detailed_exitcode and has_changes else EXIT_OK


def cmd_drift(args: argparse.Namespace) -> int:
    import os

    from reconciler import outputfile
    from reconciler.plan.model import Plan
    from reconciler.render.markdown import render_markdown

    check_out(args, "drift")
    plan, _ = compute_plan(args)
    assert isinstance(plan, Plan)
    emit(plan, args, "drift")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        outputfile.append_text(
            Path(summary),
            render_markdown(plan, title="drift report"),
            what="the step summary ($GITHUB_STEP_SUMMARY)",
        )
    return EXIT_CHANGES if plan.has_drift else EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    from reconciler.session import run_apply

    with session(args, require_secrets=True, writes=True) as (manifests, target, env):
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
            playwright_endpoint=playwright_endpoint(args, target.endpoint),
            deadline=args.deadline,
            live_view=color(sys.stdout),
        )


def check_destroy_usage(args: argparse.Namespace) -> None:
    """Workspace flags mean nothing without --include-workspaces: refused, not ignored."""
    from reconciler.errors import UsageError

    if not args.include_workspaces:
        for flag, given in (("--purge", args.purge), ("--confirm-workspaces", args.confirm)):
            if given:
                raise UsageError(
                    f"{flag} is about deleting workspaces: give --include-workspaces too"
                )


def cmd_destroy(args: argparse.Namespace) -> int:
    import time
    from dataclasses import replace

    from reconciler.apply import destroyer
    from reconciler.arm.loop import run_async
    from reconciler.plan.destroy import DestroyOptions
    from reconciler.session import make_destroy_plan

    check_destroy_usage(args)
    check_out(args, "destroy")
    wanted = DestroyOptions(include_workspaces=args.include_workspaces, purge=args.purge)
    writes = not args.plan_only
    with session(args, require_secrets=False, writes=writes) as (manifests, target, _env):
        if args.deadline is not None:  # the whole command, its plan included
            now = (target.clock or time.monotonic)()
            target = replace(target, deadline_at=now + args.deadline)
        made = make_destroy_plan(manifests, target, options=wanted, targets=tuple(args.target))
        plan = run_async(made)
        check_targets(plan, tuple(args.target))
        emit(plan, args, "destroy")
        if not plan.has_changes:
            print("Nothing to destroy.", file=sys.stderr)
            return EXIT_OK
        if args.plan_only:
            print("--plan-only: nothing was deleted.", file=sys.stderr)
            return EXIT_OK
        ask = destroyer.terminal_prompt()
        destroyer.confirm(args.auto_approve, ask)
        destroyer.confirm_workspaces(destroyer.to_delete(plan), args.confirm, ask)
        options = destroyer.DeleteOptions(timeout=args.timeout, deadline=args.deadline)
        stream = sys.stdout if args.format == "text" else sys.stderr
        live = color(sys.stdout) and args.format == "text"
        return destroyer.execute(plan, target, options, stream=stream, live_view=live)
