"""The emulator that ``--emulator`` runs for the duration of one command, and what it is seeded
with (``reconciler emulator --demo`` seeds the same).

The emulator itself knows nothing of manifests: this module turns manifests into its seed.
It is imported only by commands that run it, and imports the emulator only when it starts.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.manifest.model import ManifestSet

if TYPE_CHECKING:
    from reconciler.emulator import Emulator

DEFAULT_EMULATOR_STATE = Path(".reconciler") / "emulator-state.json"


def demo_seed(
    manifests: ManifestSet, now: datetime
) -> tuple[tuple[tuple[str, str], ...], dict[str, list[dict[str, str]]]]:
    """What a demo emulator holds for these manifests: the resource groups their workspaces
    name, and for each Playwright audit an account holding its required tokens, Active for
    90 days. ``--emulator`` and ``reconciler emulator --demo`` seed the same."""
    groups = {(m.address.subscription, m.address.resource_group) for m in manifests.resources}
    accounts = {
        audit.account_id: [
            {
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "name": name,
                "createdAt": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "expiryAt": (now + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "state": "Active",
            }
            for i, name in enumerate(audit.required_tokens)
        ]
        for audit in manifests.playwright
    }
    return tuple(sorted(groups)), accounts


def _state_directory(state_file: Path, *, writes: bool) -> None:
    """For a command that changes the emulated Azure, make the state file's directory and
    prove it can be written before any request: otherwise every PUT of an apply fails alike
    with the emulator's HTTP 500, one line per resource, for one cause. A command that only
    reads it needs neither (a read-only checkout serves it), only a directory that is one."""
    from reconciler.errors import UsageError

    directory = state_file.parent
    hint = "pass --emulator-state FILE in a writable directory"
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"cannot keep the emulator state in {directory}: not a directory; {hint}")
    if not writes:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise UsageError(
            f"cannot write the emulator state in {directory}: {exc.strerror or exc}; {hint}"
        ) from None


def stored_emulator(
    state_file: Path, *, writes: bool, resource_groups: tuple[tuple[str, str], ...] = ()
) -> Emulator:
    """The emulator holding the state ``state_file`` keeps, if any. Only a command that
    changes it (``writes``) has it saved back: the emulator saves after every request but a
    GET, and a read-only command's POSTs (listsecrets, a notebook token) change nothing, so a
    read-only state directory (a CI checkout) serves plan, drift and export."""
    from reconciler.emulator import Emulator

    emulator = Emulator(state_file=state_file, resource_groups=resource_groups)
    if not writes:
        emulator.state_file = None  # read above, never written
    return emulator


@contextlib.contextmanager
def embedded_emulator(
    manifests: ManifestSet, state_file: Path, *, writes: bool = False
) -> Iterator[str]:
    """Serve the emulator on a free loopback port, seeded with the manifests' resource groups.

    State persists in ``state_file`` so that plan, apply and plan again (separate commands)
    see the same emulated Azure. ``writes``: the command changes it (apply, destroy); any
    other only reads it (:func:`stored_emulator`).
    """
    from reconciler.emulator import running

    _state_directory(state_file, writes=writes)
    groups, accounts = demo_seed(manifests, datetime.now(UTC))
    emulator = stored_emulator(state_file, writes=writes, resource_groups=groups)
    for account, tokens in accounts.items():
        if account not in emulator.state.playwright:
            emulator.playwright.seed(account, tokens)
    with running(emulator) as url:
        yield url
