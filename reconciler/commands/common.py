"""What the commands share at run time: exit codes, the session (manifests, endpoint,
environment) and what the options of plan, drift and apply mean (their definitions are in
:mod:`reconciler.commands.options`). Heavy modules are imported inside functions, so that
starting the CLI stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2


def color(stream: object) -> bool:
    import os

    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


@contextlib.contextmanager
def session(
    args: argparse.Namespace, *, require_secrets: bool, writes: bool = False
) -> Iterator[tuple[Any, Any, dict[str, str]]]:
    """Manifests, where to send requests, and the environment, for plan/drift/apply.

    ``require_secrets``: apply sends secrets and plan/drift compare them (unless
    ``--secrets skip``); other commands need not have their values. ``writes``: the command
    changes Azure (with ``--emulator``, its state file must be writable).
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
    if args.whole_process:
        # What was loaded lives until the process ends: the collector's full passes need not
        # walk it again while the command reads and decides (~0.1 s of a 10,000-resource
        # plan). Loading leaves no cycle to free (each file's loader breaks its own:
        # yamlcompose.compose_all) but the node graph of a recursive alias a document was
        # refused for, which stays frozen: at most what such files' text composes to. The few
        # hundred other objects frozen with it (the argument parser's) do not grow.
        gc.freeze()
    with contextlib.ExitStack() as stack:
        if args.emulator:
            state = args.emulator_state or DEFAULT_EMULATOR_STATE
            with emulator_state(state):
                endpoint = stack.enter_context(embedded_emulator(manifests, state, writes=writes))
        else:
            endpoint = resolve_endpoint(args.endpoint)
        yield (
            manifests,
            Target(
                endpoint,
                parallelism=args.parallelism,
                retries=args.retries,
                timeout=getattr(args, "request_timeout", 60.0),
                proxied=not args.emulator,
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
    for attr, flag, least in (
        ("parallelism", "--parallelism", 1),
        ("retries", "--retries", 0),
        ("top", "--top", 1),
    ):
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
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise UsageError(
            f"cannot read the emulator state {path}: it is not a state file this version "
            f"wrote ({type(exc).__name__}); delete it to start from an empty emulator"
        ) from exc
    except OSError as exc:
        raise UsageError(f"cannot read the emulator state {path}: {exc.strerror or exc}") from exc


def plan_options(args: argparse.Namespace) -> Any:
    from reconciler.plan.planner import Options

    return Options(strict=args.strict, compare_secrets=args.secrets == "compare", prune=args.prune)
