"""export, emulator, completion and schema generation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reconciler.commands.common import EXIT_ERROR, EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    import asyncio

    from reconciler import export, outputfile
    from reconciler.arm.connect import Target, arm_client, resolve_endpoint
    from reconciler.errors import OutputError

    if args.out.exists() and not args.out.is_dir():
        raise OutputError(f"cannot export into {args.out}: it exists and is not a directory")

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
        from reconciler.commands.common import emulator_state
        from reconciler.embedded import DEFAULT_EMULATOR_STATE
        from reconciler.emulator import Emulator, running

        state = args.emulator_state or DEFAULT_EMULATOR_STATE
        with emulator_state(state):
            emulator = Emulator(state_file=state)
        with running(emulator) as url:
            exported = run(url)
    else:
        exported = run(resolve_endpoint(args.endpoint))
    files = export.files_for(args.out, exported)
    if not files:
        print("nothing to export: no workspace matched", file=sys.stderr)
        return EXIT_ERROR
    for file in files:
        try:
            file.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"cannot create directory {file.path.parent}: {exc.strerror or exc}"
            ) from exc
        outputfile.write_text(file.path, file.text, what="exported manifest")
        print(
            f"wrote {file.path}"
            + (f" ({len(file.env_vars)} secret variable(s) to set)" if file.env_vars else "")
        )
    return EXIT_OK


def _interrupt_on_sigterm() -> None:
    """``kill`` and ``docker stop`` send SIGTERM: clean up as after Ctrl-C."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def cmd_emulator(args: argparse.Namespace) -> int:
    from reconciler.commands.demo import Seed, banner, demo_seed
    from reconciler.emulator import DEFAULT_SUBSCRIPTION, command

    groups = tuple(
        (DEFAULT_SUBSCRIPTION, rg)
        for rg in (args.resource_group or [command.DEFAULT_RESOURCE_GROUP])
    )
    seed = Seed(groups)
    if args.demo is not None:
        demo = demo_seed(args.demo, args.env_file)
        seed = Seed(tuple(dict.fromkeys(groups + demo.groups)), demo.accounts)

    def prepare(emulator: Any) -> None:
        """Through the emulator's public seeding API only (its internals may change)."""
        for subscription, group in seed.groups:
            emulator.add_resource_group(group, subscription)
        for account, tokens in seed.accounts.items():
            emulator.playwright.seed(account, tokens)

    def announce(url: str, certificate: Path | None) -> str:
        return banner(url, DEFAULT_SUBSCRIPTION, seed, certificate=certificate)

    _interrupt_on_sigterm()
    return command.run(args, prepare=prepare, announce=announce)


def cmd_completion(args: argparse.Namespace, *, parser: argparse.ArgumentParser) -> int:
    """``parser``: the CLI's own, which the script mirrors (handed in by the parser itself,
    so that this module need not import the CLI that imports it)."""
    from reconciler import completion

    sys.stdout.write(completion.bash(parser) if args.shell == "bash" else completion.zsh(parser))
    return EXIT_OK


def cmd_schemas_generate(args: argparse.Namespace) -> int:
    from reconciler.schemas import generate

    argv = []
    if args.specs:
        argv += ["--specs", str(args.specs)]
    if args.out:
        argv += ["--out", str(args.out)]
    return generate.main(argv)
