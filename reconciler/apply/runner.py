"""The steps of the `apply` command after its plan: check a saved plan is still true, confirm,
apply, report (:func:`reconciler.session.run_apply` wires them after the plan).

Progress goes to stdout as timestamped lines (CI logs keep them); the exit code is 0 only
when every change succeeded. On Ctrl-C, or when the reader of the output is gone
(``apply | head``), no new PUT is issued; operations already running in Azure are listed
with their URLs (:mod:`reconciler.apply.stopping`), and rerunning apply converges.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler import textfile
from reconciler.apply import secretcheck, stopping
from reconciler.apply.applier import Applier, ApplyOptions, ApplyReport, Result
from reconciler.apply.outputs import workspace_outputs
from reconciler.apply.progress import LiveProgress, PlainProgress
from reconciler.apply.secretcheck import SecretKey
from reconciler.arm.connect import Target, arm_client
from reconciler.arm.loop import run_async
from reconciler.errors import UsageError
from reconciler.manifest.model import ManifestSet
from reconciler.plan.model import FORMAT_VERSION, Action, Plan
from reconciler.plan.targeting import normalised
from reconciler.render import safe

MAX_SAVED_PLAN_BYTES = 64 * 1024 * 1024  # thousands of resources with their bodies fit well


def failure_line(result: Result, address: str, where: str, detail: str) -> str:
    """One line per failed or skipped resource. The detail quotes the service's error message,
    which a hostile or broken server writes: shown escaped, never as a CI command."""
    return safe.terminal(f"{result.value}: {address}{where}: {detail}")


def read_saved(saved_path: Path) -> dict[str, Any]:
    """A saved plan this tool wrote, in this format version; anything else is one line.

    Read before Azure is: a plan that cannot be applied costs no call."""
    try:
        saved = json.loads(textfile.read_text(saved_path, limit=MAX_SAVED_PLAN_BYTES))
    except textfile.TextFileError as error:
        where = f"{saved_path}:{error.line}:{error.column}" if error.line else str(saved_path)
        raise UsageError(f"cannot read saved plan {where}: {error.reason}") from None
    except ValueError as exc:
        raise UsageError(f"cannot read saved plan {saved_path}: {exc}") from exc
    if not isinstance(saved, dict) or "format_version" not in saved:
        raise UsageError(f"{saved_path} is not a plan of format version {FORMAT_VERSION}")
    version = saved["format_version"]
    if version != FORMAT_VERSION:
        # An older tool's plan (format 1 had no reason codes): never applied by guess.
        shown = safe.terminal(repr(version)[:40])
        raise UsageError(
            f"{saved_path} is a plan of format version {shown}; this version of the tool "
            f"applies format version {FORMAT_VERSION!r} only: re-run plan (plan --out) and "
            "apply the new plan"
        )
    if saved.get("command") == "destroy":
        # Its deletes are for `destroy` to carry out, after its own confirmations.
        raise UsageError(
            f"{saved_path} is a destroy plan; apply does not delete: run `reconciler destroy`"
        )
    changes = saved.get("changes")
    if not isinstance(changes, list) or not all(
        isinstance(c, dict) and isinstance(c.get("address"), str) for c in changes
    ):
        # A hand-edited or truncated plan: refuse it whole rather than apply a guess.
        raise UsageError(
            f"{saved_path} is not a plan this tool wrote: 'changes' must be a list of "
            "changes with an address; plan again"
        )
    targets = saved.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise UsageError(
            f"{saved_path} is not a plan this tool wrote: 'targets' must be a list of "
            "addresses; plan again"
        )
    return saved


def targets_for(
    saved_path: Path, saved: Mapping[str, Any], given: tuple[str, ...]
) -> tuple[str, ...]:
    """The --target values to plan with when applying ``saved``: the ones it was made with.

    Applying a plan made with ``--target`` plans the same slice without repeating the flag
    (a reviewer approved that slice, not a whole-estate plan); naming other targets is refused
    rather than guessed at."""
    recorded = tuple(saved.get("targets", ()))
    if not given:
        return recorded
    if {normalised(t) for t in given} != {normalised(t) for t in recorded}:
        # repr only: main() makes the whole line safe for a terminal or a CI log.
        made = f"--target {', '.join(map(repr, recorded))}" if recorded else "no --target"
        raise UsageError(
            f"{saved_path} was made with {made}; apply it without --target (it plans the "
            "slice it was made for), or plan again with the targets you want"
        )
    return recorded


def check_saved(
    saved_path: Path,
    plan: Plan,
    secret_values: Mapping[SecretKey, str] | None = None,
    *,
    saved: dict[str, Any] | None = None,
) -> None:
    """Refuse a saved plan when the manifests, anything it read in Azure, or (given
    ``secret_values``, the values apply would send) a referenced secret has moved.
    ``saved`` is the plan :func:`read_saved` already read from ``saved_path``, if it did."""
    if saved is None:
        saved = read_saved(saved_path)
    changes = saved["changes"]
    if saved.get("manifest_digest") != plan.manifest_digest:
        raise UsageError(f"the manifests changed since {saved_path} was made; plan again")
    _same_changes(saved_path, changes, plan)
    if secret_values is None:
        return
    if "secret_check" not in saved:
        # A plan written to stdout (``--format json > plan.json``) carries no stamp: nothing
        # vouches that the secrets it would send are the ones in force when it was reviewed.
        unvouched = _sending_secrets(plan, secret_values)
        if unvouched:
            raise UsageError(
                f"{saved_path} carries no secret stamp (it was written to stdout, not saved "
                f"with `plan --out`), and applying it would send the secrets referenced by "
                f"{', '.join(unvouched)}: save the plan with `plan --out FILE`"
            )
        return
    differ = secretcheck.changed(saved["secret_check"], secret_values)
    if differ:
        raise UsageError(
            f"the secrets referenced by {', '.join(differ)} changed since {saved_path} was "
            "made; the reviewed plan never showed these values: plan again"
        )


def _same_changes(saved_path: Path, changes: list[dict[str, Any]], plan: Plan) -> None:
    """Refuse unless the plan apply makes now holds exactly the saved changes, each as it
    was reviewed (what it found in Azure, what it would do and why)."""
    current = {c.address.lower(): c for c in plan.changes}
    for change in changes:
        now = current.get(change["address"].lower())
        if now is None:  # outside the slice the plan now makes, or gone from Azure (unmanaged)
            raise UsageError(
                f"{change['address']} is in {saved_path} but not in the plan apply makes now; "
                "the saved plan is stale: plan again"
            )
        # The code too: a workspace reviewed as still provisioning (apply waits) that has
        # since failed (apply PUTs again) keeps its action and fingerprint, not its code.
        if (
            now.fingerprint != change.get("fingerprint")
            or now.action.value != change.get("action")
            or now.code.value != change.get("code")
        ):
            raise UsageError(
                f"{change['address']} changed in Azure since {saved_path} was "
                "made; the saved plan is stale: plan again"
            )
    # By address, not by count: a change written twice must not make room for one never shown.
    held = {change["address"].lower() for change in changes}
    unseen = sorted(now.address for key, now in current.items() if key not in held)
    if unseen:
        raise UsageError(
            f"the set of resources changed since {saved_path} was made (it holds "
            f"{len(held)}, a plan now finds {len(current)}: {unseen[0]} is not in it); "
            "plan again"
        )


_WRITES = frozenset({Action.CREATE, Action.UPDATE, Action.REPLACE_REQUIRED})


def _sending_secrets(plan: Plan, secret_values: Mapping[SecretKey, str]) -> list[str]:
    """The resources the plan writes (a PUT carries the whole body, credentials included)
    whose manifests reference secrets."""
    referencing = {"/".join(p for p in key if p).lower() for key, _ in secret_values}
    return sorted(
        c.address for c in plan.changes if c.action in _WRITES and c.address.lower() in referencing
    )


def confirm(auto_approve: bool) -> None:
    """Go ahead only on 'yes' typed on a terminal, or when told to (``--auto-approve``)."""
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            "refusing to apply without confirmation: no terminal to ask on; "
            "pass --auto-approve (in CI, apply a reviewed plan with --plan)"
        )
    answer = input("Apply these changes? Only 'yes' is accepted: ")
    if answer.strip() != "yes":
        raise UsageError("apply cancelled")


def _summary(report: ApplyReport) -> str:
    parts = [f"{report.count(r)} {r.value}" for r in Result]
    return "Apply: " + ", ".join(parts) + "."


def execute(
    plan: Plan,
    manifests: ManifestSet,
    target: Target,
    env: Mapping[str, str],
    options: ApplyOptions,
    *,
    live_view: bool = False,
) -> int:
    """Apply ``plan`` and report: 0 when every change succeeded, 1 when not (or when the
    output's reader is gone), 130 on Ctrl-C."""
    holder: dict[str, Applier] = {}
    progress: Any = LiveProgress() if live_view else PlainProgress(sys.stdout)

    async def go() -> ApplyReport:
        async with arm_client(target) as client:
            applier = Applier(client, manifests, env, notify=progress, options=options)
            holder["applier"] = applier
            return await applier.apply(plan)

    rerun = "rerun apply to converge; `plan` shows what remains."
    try:
        with progress:
            report = run_async(go())
    except (KeyboardInterrupt, BrokenPipeError) as reason:
        running = holder["applier"].report.in_flight if holder else {}
        return stopping.stopped(reason, "changes", running, rerun)
    _report(report, manifests)
    return 0 if report.ok else 1


def _report(report: ApplyReport, manifests: ManifestSet) -> None:
    """What failed or was skipped (on stderr), the counts, then the workspaces' outputs."""
    sources = {str(m.address): m.source for m in manifests.resources}
    for address, (result, detail) in sorted(report.results.items()):
        if result in (Result.FAILED, Result.SKIPPED):
            # Name the manifest too: that is where the user goes to fix it.
            where = f" ({sources[address]})" if address in sources else ""
            print(failure_line(result, address, where, detail), file=sys.stderr)
    print(_summary(report))
    for manifest in manifests.resources:
        address = str(manifest.address)
        if manifest.outputs and address in report.resources:
            print(f"Outputs of {address}:")
            outputs = workspace_outputs(report.resources[address], manifest.outputs)
            for name, value in outputs.items():
                print(safe.terminal(f"  {name}: {value}"))
