"""`reconciler emulator`'s wiring around the server: what ``--demo`` seeds, and the banner.

A person who starts the emulator by hand must be able to run the README's examples against it
and know what it holds, so ``--demo`` seeds exactly what ``--emulator`` seeds for the same
manifests, and the banner says where it listens, the default subscription, what was seeded
and how to seed more. Only the emulator's public surface is used — the constructor's resource
groups, ``playwright.seed`` and the admin endpoints the banner quotes — so its internals may be
rewritten without touching this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reconciler.errors import UsageError

# The examples a clone of the repository holds; ``--demo`` without paths seeds for them.
DEFAULT_DEMO = Path("manifests") / "examples"


@dataclass(frozen=True)
class Seed:
    """What a started emulator was given: resource groups and Playwright accounts' tokens."""

    groups: tuple[tuple[str, str], ...] = ()
    accounts: Mapping[str, list[dict[str, str]]] = field(default_factory=dict)


def demo_seed(paths: Sequence[Path], env_files: Sequence[Path]) -> Seed:
    """What ``--emulator`` would seed for these manifests (default: the bundled examples).

    Secrets need not be set: the emulator is seeded with resource groups and tokens only.
    """
    from reconciler import envfile
    from reconciler.embedded import demo_seed as seed_for
    from reconciler.inputs import load_manifests

    if not paths:
        if not DEFAULT_DEMO.is_dir():
            raise UsageError(
                f"--demo: no {DEFAULT_DEMO}/ here (run from a clone of the repository), "
                "or name the manifests to seed for: --demo PATH..."
            )
        paths = [DEFAULT_DEMO]
        if not env_files and (DEFAULT_DEMO / "demo.env").is_file():
            env_files = [DEFAULT_DEMO / "demo.env"]
    manifests = load_manifests(
        list(paths), envfile.environment(list(env_files)), require_secrets=False
    )
    groups, accounts = seed_for(manifests, datetime.now(UTC))
    return Seed(groups, accounts)


def banner(url: str, subscription: str, seed: Seed, *, certificate: Path | None = None) -> str:
    """The lines printed once the emulator listens (the first one is what scripts read)."""
    groups = ", ".join(
        rg + ("" if sub == subscription else f" (in {sub})") for sub, rg in seed.groups
    )
    lines = [
        f"emulator listening on {url}",
        f"  default subscription: {subscription}",
        f"  resource groups seeded: {groups or '(none)'}",
    ]
    for account, tokens in seed.accounts.items():
        names = ", ".join(t["name"] for t in tokens) or "no tokens"
        lines.append(f"  Playwright account seeded: {account} ({names})")
    example = json.dumps({"subscription": subscription, "name": "my-rg"})
    lines += [
        f"  use it: reconciler plan --endpoint {url} PATH...   (Playwright audits go here too)",
        "  seed more: start with --resource-group NAME (repeatable) or --demo [PATH...], or at "
        "run time:",
        f"    curl -X POST {url}/_emulator/resourceGroups -H 'Content-Type: application/json' "
        f"-d '{example}'",
        f"    curl -X PUT {url}/_emulator/playwright/ACCOUNT_ID/tokens -H 'Content-Type: "
        'application/json\' -d \'[{"id": "1", "name": "ciPipelineToken", '
        '"createdAt": "2026-01-01T00:00:00Z", "expiryAt": "2099-01-01T00:00:00Z", '
        '"state": "Active"}]\'',
    ]
    if certificate is not None:
        lines.append(
            f"  certificate: {certificate} — trust it as the CA bundle "
            f"(SSL_CERT_FILE={certificate}); removed when the emulator stops"
        )
    lines.append("  stop: Ctrl-C")
    return "\n".join(lines)
