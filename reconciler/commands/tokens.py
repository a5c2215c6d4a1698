"""notebook-token and playwright-tokens: the two token APIs."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.commands.common import EXIT_OK, session


def cmd_notebook_token(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from reconciler import notebook
    from reconciler.arm.connect import arm_client
    from reconciler.errors import UsageError
    from reconciler.kinds import WORKSPACE

    with session(args, require_secrets=False) as (manifests, target, _):
        workspaces = manifests.of(WORKSPACE.kind)
        matches = [w for w in workspaces if w.address.name.lower() == args.workspace.lower()]
        if not matches:
            known = ", ".join(sorted(w.address.name for w in workspaces)) or "none"
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
                found = matches[0]
                return await notebook.fetch(client, found.address, api_version=found.api_version)

        token = asyncio.run(go())
    github_actions = os.environ.get("GITHUB_ACTIONS") == "true"
    # The masks first, on stderr: registered before any token is written to stdout.
    sys.stderr.write(
        notebook.masks(token, show_secrets=args.show_secrets, github_actions=github_actions)
    )
    sys.stderr.flush()
    sys.stdout.write(
        notebook.render(
            token, fmt=args.format, show_secrets=args.show_secrets, github_actions=github_actions
        )
    )
    return EXIT_OK


def cmd_playwright_tokens(args: argparse.Namespace) -> int:
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
        from reconciler.render.safe import json_text

        # Token names are the server's words: the same data, nothing a CI log would run.
        print(json_text(json.dumps({"account": args.account, "tokens": rows}, indent=2)))
    else:
        print(f"{'NAME':<32} {'STATE':<8} {'CREATED':<21} EXPIRES")
        from reconciler.render.safe import terminal

        for r in rows:
            print(
                f"{terminal(str(r['name'])):<32} {terminal(str(r['state'])):<8} "
                f"{terminal(str(r['createdAt'] or '-')):<21} {terminal(str(r['expiryAt'] or '-'))}"
            )
        print(f"{len(rows)} token(s) in account {terminal(args.account)}")
    return EXIT_OK
