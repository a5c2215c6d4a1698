"""export, emulator, completion and schema generation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reconciler.commands.common import EXIT_ERROR, EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
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
        exported = run(resolve_endpoint(args.endpoint))
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


def cmd_emulator(args: argparse.Namespace) -> int:
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


def cmd_completion(args: argparse.Namespace) -> int:
    from reconciler import completion
    from reconciler.cli import build_parser  # the parser is the CLI's; completion mirrors it

    parser = build_parser()
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
