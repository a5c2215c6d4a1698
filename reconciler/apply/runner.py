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
from reconciler.plan.model import FORMAT_VERSION, Action, Change, Plan
from reconciler.plan.targeting import normalised
from reconciler.render import safe
from reconciler.render.json import field_diffs

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
    except RecursionError:  # brackets nested past the decoder's recursion: no plan of ours
        raise UsageError(f"cannot read saved plan {saved_path}: nested too deeply") from None
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
    seen: set[str] = set()
    for change in changes:
        address = change["address"]
        if address.lower() in seen:
            # One entry matched twice could stand for another never reviewed.
            raise UsageError(
                f"{saved_path} lists {address} twice: not a plan this tool wrote; plan again"
            )
        seen.add(address.lower())
    targets = saved.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise UsageError(
            f"{saved_path} is not a plan this tool wrote: 'targets' must be a list of "
            "addresses; plan again"
        )
    return saved


def check_manifests(saved_path: Path, saved: Mapping[str, Any], digest: str) -> None:
    """Refuse a saved plan made from other manifests (edited since, another commit's) before
    Azure is read: ``digest`` is the manifests' own, which no answer of Azure changes."""
    if saved.get("manifest_digest") != digest:
        raise UsageError(f"the manifests changed since {saved_path} was made; plan again")


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
    check_manifests(saved_path, saved, plan.manifest_digest)
    current = {c.address.lower(): c for c in plan.changes}
    _check_same_resources(saved_path, changes, current)
    _check_fingerprints(saved_path, changes, current)
    for change in changes:
        now = current[change["address"].lower()]
        # Azure as it was read, another verdict: the provisioning state (which the fingerprint
        # leaves out) moved, as a workspace reviewed while provisioning (apply waits) that has
        # since failed (apply PUTs again); or plan and apply were given other options.
        was = (change.get("action"), change.get("code"))
        if (now.action.value, now.code.value) != was:
            raise UsageError(
                f"{now.address}: {saved_path} showed {_shown(was[0])} ({_shown(was[1])}) and "
                f"apply would now {now.action.value!r} ({now.code.value!r}): its provisioning "
                "state moved in Azure, or plan and apply were given other options (--prune, "
                "--secrets, --strict); the saved plan is stale: plan again"
            )
        unshown = _fields_unlike(change, now)
        if unshown:
            raise UsageError(
                f"{now.address}: apply would change {unshown} otherwise than "
                f"{saved_path} showed (were plan and apply given the same options, such as "
                "--strict?); plan again"
            )
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


def _check_fingerprints(
    saved_path: Path, changes: list[dict[str, Any]], current: Mapping[str, Change]
) -> None:
    """Refuse the plan if anything it read moved, naming the resource that did: a child
    (an outbound rule) before its parent, whose body holds a copy of it and so moves too."""
    for change in sorted(changes, key=lambda c: -str(c["address"]).count("/")):
        if current[change["address"].lower()].fingerprint != change.get("fingerprint"):
            raise UsageError(
                f"{change['address']} changed in Azure since {saved_path} was "
                "made; the saved plan is stale: plan again"
            )


def _shown(value: Any) -> str:
    """A value read from a saved plan, named in one short line: the file may have been edited
    by hand (a megabyte string, a nested array, null), and the error must stay readable."""
    if isinstance(value, str):
        text = repr(value)
    elif value is None or isinstance(value, bool | int | float):
        text = json.dumps(value)
    else:
        text = "an array" if isinstance(value, list) else "an object"
    return text if len(text) <= 40 else text[:39] + "…"


def _check_same_resources(
    saved_path: Path, changes: list[dict[str, Any]], current: Mapping[str, Change]
) -> None:
    """Refuse a saved plan listing other resources than this plan, naming one: Azure moved
    (a resource made or deleted since), or plan and apply chose other resources."""
    listed = {c["address"].lower(): c["address"] for c in changes}
    why = "(changed in Azure since, or plan and apply were given other --target or --shard)"
    for key, address in listed.items():
        if key not in current:
            raise UsageError(f"{address} is in {saved_path} but not in this plan {why}; plan again")
    for key, change in current.items():
        if key not in listed:
            raise UsageError(
                f"{change.address} is in this plan but not in {saved_path} {why}; plan again"
            )


def _fields_unlike(saved_change: Mapping[str, Any], now: Change) -> str:
    """The field paths whose diff is not the one the saved plan shows ('' when all match):
    the same manifests over the same Azure still differ under other options (``--strict``)."""
    saved_diffs = saved_change.get("field_diffs")
    reviewed = {
        str(d.get("path")): d
        for d in (saved_diffs if isinstance(saved_diffs, list) else [])
        if isinstance(d, dict)
    }
    # Through JSON, as the saved plan went: tuples read back as lists.
    current = {d["path"]: d for d in json.loads(json.dumps(field_diffs(now)))}
    unlike = [path for path, diff in current.items() if reviewed.get(path) != diff]
    unlike += [path for path in reviewed if path not in current]
    return ", ".join(unlike)  # shown escaped, as every error line is


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
    except (KeyboardInterrupt, OSError) as reason:
        if isinstance(reason, OSError) and not stopping.output_failed(reason):
            raise
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
