"""Apply a plan: write only what changed, workspaces before their connections, in parallel.

* No PUT for a no-op resource: peers that write on every run hit ARM's write limits.
* A workspace's connections wait for it; if it fails they are skipped (with the reason)
  while unrelated workspaces go on.
* Replace-required changes are refused unless ``allow_replace`` (then: delete, recreate).
* Secrets are resolved from their references here, right before the PUT that needs them,
  and exist only in that request body.
* 409 AnotherOperationInProgress waits and retries. A workspace the plan found still being
  provisioned is waited on before anything else; if it ends Failed it is reported failed and
  its connections are skipped (never "unchanged").
* An update that would lose what it cannot send back (fields the api-version does not define,
  a connection's credentials the manifest does not declare) is refused, as the plan said.
* No PUT body carries a null.
* ARM is the state: nothing is written locally, so a crash or Ctrl-C loses nothing and the
  next plan shows what remains. Operations in flight are tracked to be reported on Ctrl-C.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.apply.body import refusal, update_body
from reconciler.apply.listpoll import ListPoller
from reconciler.apply.lro import Outcome, follow
from reconciler.arm import paths
from reconciler.arm.client import ArmClient
from reconciler.errors import ArmConflict, ReconcilerError, UnsafeUrlError
from reconciler.manifest import secrets
from reconciler.manifest.model import (
    Address,
    ConnectionManifest,
    Kind,
    ManifestSet,
    WorkspaceManifest,
)
from reconciler.plan import ownership
from reconciler.plan.model import Action, Change, Plan
from reconciler.plan.ownership import OWNER_KEY
from reconciler.plan.planner import in_progress, provisioning_state
from reconciler.read.livestate import without_nulls
from reconciler.schemas import load_schema

CONFLICT_RETRIES = 10


class Result(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    REPLACED = "replaced"  # deleted and recreated (--allow-replace)
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Event:
    address: str
    status: str  # "started", a provisioningState, or a Result value
    detail: str = ""


@dataclass
class ApplyReport:
    results: dict[str, tuple[Result, str]] = field(default_factory=dict)
    in_flight: dict[str, str] = field(default_factory=dict)  # address -> operation URL
    resources: dict[str, Any] = field(default_factory=dict)  # address -> body after apply

    def count(self, result: Result) -> int:
        return sum(1 for r, _ in self.results.values() if r is result)

    @property
    def ok(self) -> bool:
        return not any(r in (Result.FAILED, Result.SKIPPED) for r, _ in self.results.values())


@dataclass(frozen=True)
class ApplyOptions:
    allow_replace: bool = False
    timeout: float = 3600.0  # per resource, seconds
    deadline: float | None = None  # for the whole apply, seconds
    strict: bool = False  # send the manifest as the whole body (else: laid over live)


Notify = Callable[[Event], None]


def secret_values(spec: Any, body: Any) -> list[str]:
    """The resolved values in ``body`` at the places ``spec`` holds secret references."""
    values = []
    for path, _ in secrets.find_refs(spec):
        current = body
        for part in path:
            current = current.get(part) if isinstance(current, dict) else None
        if isinstance(current, str) and current:
            values.append(current)
    return values


def scrub(text: str, values: list[str]) -> str:
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, "(redacted)")
    return text


class Applier:
    def __init__(
        self,
        client: ArmClient,
        manifests: ManifestSet,
        env: Mapping[str, str],
        *,
        options: ApplyOptions | None = None,
        notify: Notify | None = None,
    ) -> None:
        self.client = client
        self.env = env
        self.options = options or ApplyOptions()
        self.notify = notify or (lambda event: None)
        self.report = ApplyReport()
        self.workspaces = {str(w.address): w for w in manifests.workspaces}
        self.connections = {str(c.address): c for c in manifests.connections}
        self.owner = manifests.owner
        self.marker = ownership.marker(manifests.owner)  # written into what apply creates
        self._started = client.clock()
        # Workspaces being provisioned are polled together: one list per resource group.
        self.poller = ListPoller(client, paths.WORKSPACE_API)

    def _time_left(self) -> float:
        """Per-resource timeout, cut short by the overall deadline."""
        if self.options.deadline is None:
            return self.options.timeout
        spent = self.client.clock() - self._started
        return max(0.0, min(self.options.timeout, self.options.deadline - spent))

    async def apply(self, plan: Plan) -> ApplyReport:
        self._started = self.client.clock()
        # Every wait the client makes from here on (retries, pacing, conflicts) ends in time.
        self.client.set_deadline(self.options.deadline)
        by_workspace: dict[str, list[Change]] = {}
        for change in plan.changes:
            if change.kind in ("Workspace", "Connection"):
                by_workspace.setdefault(change.workspace, []).append(change)
        await asyncio.gather(
            *(self._workspace_tree(ws, changes) for ws, changes in by_workspace.items())
        )
        return self.report

    def _done(self, change: Change, result: Result, detail: str = "") -> None:
        self.report.results[change.address] = (result, detail)
        self.report.in_flight.pop(change.address, None)
        self.notify(Event(change.address, result.value, detail))

    async def _workspace_tree(self, workspace: str, changes: list[Change]) -> None:
        own = next((c for c in changes if c.kind == "Workspace"), None)
        rest = [
            c for c in changes if c is not own and c.action not in (Action.UNMANAGED, Action.READ)
        ]
        ok = True
        if own is not None:
            ok = await self._workspace(own)
        if not ok:
            # Unless a replacement may have deleted the workspace, what matched still matches.
            untouched = own is None or not (
                own.action is Action.REPLACE_REQUIRED and self.options.allow_replace
            )
            for change in rest:
                if untouched and change.action is Action.NO_OP:
                    self._done(change, Result.UNCHANGED)
                else:
                    self._done(change, Result.SKIPPED, f"its workspace {workspace} was not applied")
            return
        # A replaced workspace comes back empty: its connections must be written again.
        recreated = own is not None and own.action is Action.REPLACE_REQUIRED
        await asyncio.gather(*(self._connection(change, force=recreated) for change in rest))

    async def _workspace(self, change: Change) -> bool:
        if change.action is Action.NO_OP:
            self._done(change, Result.UNCHANGED)
            return True
        if change.action is Action.REPLACE_REQUIRED and not self.options.allow_replace:
            self._done(
                change,
                Result.SKIPPED,
                f"{change.reason} — not done without --allow-replace",
            )
            return False
        manifest = self.workspaces[change.address]
        self.notify(Event(change.address, "started", change.action.value))
        before = change.before
        state = provisioning_state(before)
        try:
            if in_progress(state):
                outcome = await self._wait_workspace(manifest, change)
                before = outcome.body if outcome.body is not None else before
                if not change.diffs:
                    self._done(
                        change, Result.UNCHANGED, f"provisioning went from {state} to Succeeded"
                    )
                    return True
            if change.action is Action.UPDATE:
                refused = refusal(
                    manifest.spec,
                    before,
                    load_schema("workspace.schema.json"),
                    strict=self.options.strict,
                    api_version=paths.WORKSPACE_API,
                )
                if refused:
                    self._done(change, Result.SKIPPED, refused)
                    return False
            if change.action is Action.REPLACE_REQUIRED:
                await self._delete_workspace(manifest)
            await self._put_workspace(manifest, change, before)
        except ReconcilerError as error:
            self._done(change, Result.FAILED, str(error))
            return False
        done = {Action.CREATE: Result.CREATED, Action.REPLACE_REQUIRED: Result.REPLACED}
        self._done(change, done.get(change.action, Result.UPDATED))
        return True

    async def _put(self, url: str, body: Any, api_version: str, kind: str) -> Any:
        """PUT, waiting out 409 AnotherOperationInProgress a bounded number of times, and
        never past the deadline: then the conflict itself is the error reported."""
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                return await self.client.request(
                    "PUT",
                    url,
                    params={"api-version": api_version},
                    json=without_nulls(body),
                    kind=kind,
                )
            except ArmConflict as error:
                delay = min(60.0, 5.0 * 2**attempt)
                if (
                    error.code != "AnotherOperationInProgress"
                    or attempt == CONFLICT_RETRIES
                    or not self.client.can_wait(delay)
                ):
                    raise
                await self.client.wait(
                    delay, f"for another operation on {error.url or url} to finish (HTTP 409)"
                )
        raise AssertionError("unreachable")

    async def _wait_workspace(self, manifest: WorkspaceManifest, change: Change) -> Outcome:
        """Follow the operation the plan found running, by the resource's provisioningState."""
        url = paths.workspace(manifest.address)
        self.report.in_flight[change.address] = f"provisioning, polling {url}"
        now = await self.client.request(
            "GET", url, params={"api-version": paths.WORKSPACE_API}, kind="operation.poll"
        )
        return await follow(
            self.client,
            now,
            url,
            paths.WORKSPACE_API,
            what=f"workspace {manifest.address.name} (found {provisioning_state(change.before)})",
            timeout=self._time_left(),
            progress=lambda state: self.notify(Event(change.address, state)),
            poller=self.poller,
        )

    async def _put_workspace(
        self, manifest: WorkspaceManifest, change: Change, before: Any
    ) -> None:
        url = paths.workspace(manifest.address)
        body = manifest.spec
        if change.action is Action.UPDATE:
            body = update_body(
                manifest.spec,
                before,
                load_schema("workspace.schema.json"),
                strict=self.options.strict,
            )
        # Until Azure answers, all that is known is that a PUT went out.
        self.report.in_flight[change.address] = f"PUT {url} sent, no answer yet"
        first = await self._put(url, body, paths.WORKSPACE_API, "workspace.put")

        def track(operation: str) -> None:
            self.report.in_flight[change.address] = operation

        outcome = await follow(
            self.client,
            first,
            url,
            paths.WORKSPACE_API,
            what=f"workspace {manifest.address.name}",
            timeout=self._time_left(),
            progress=lambda state: self.notify(Event(change.address, state)),
            on_operation=track,
            poller=self.poller,
        )
        self.report.resources[change.address] = outcome.body

    async def _delete_workspace(self, manifest: WorkspaceManifest) -> None:
        url = paths.workspace(manifest.address)
        # Azure soft-deletes a workspace and keeps its name taken: a replacement must purge.
        first = await self.client.request(
            "DELETE",
            url,
            params={"api-version": paths.WORKSPACE_API, "forceToPurge": "true"},
            kind="workspace.delete",
        )
        if first.status in (200, 202) and (
            first.headers.get("location") or first.headers.get("azure-asyncoperation")
        ):
            await follow(
                self.client,
                first,
                url,
                paths.WORKSPACE_API,
                what=f"deleting workspace {manifest.address.name}",
                timeout=self._time_left(),
            )

    async def _connection(self, change: Change, *, force: bool = False) -> None:
        if change.action is Action.NO_OP and not force:
            self._done(change, Result.UNCHANGED)
            return
        if change.action is Action.DELETE:
            await self._delete_connection(change)
            return
        manifest = self.connections[change.address]
        self.notify(Event(change.address, "started", change.action.value))
        body: Any = None  # not built yet when a secret fails to resolve
        try:
            before = change.before if isinstance(change.before, dict) else {}
            had_marker = ownership.by_this_tool(ownership.marker_of(before))
            body = self._connection_body(
                manifest, mark=change.action is Action.CREATE or had_marker or force
            )
            foreign = ownership.foreign_marker(before, self.owner)
            if change.action is Action.UPDATE and not force and foreign:
                self._done(change, Result.SKIPPED, ownership.foreign_reason(foreign, self.owner))
                return
            if change.action is Action.UPDATE and not force:
                refused = refusal(
                    body,
                    change.before,
                    load_schema("connection.schema.json"),
                    strict=self.options.strict,
                    api_version=paths.CONNECTION_API,
                    connection=manifest.address.name,
                )
                if refused:
                    self._done(change, Result.SKIPPED, refused)
                    return
                body = update_body(
                    body,
                    change.before,
                    load_schema("connection.schema.json"),
                    strict=self.options.strict,
                )
            await self._put(
                paths.connection(manifest.address), body, paths.CONNECTION_API, "connection.put"
            )
        except ReconcilerError as error:
            # A service may quote the request back in its error: never let a secret through.
            self._done(change, Result.FAILED, scrub(str(error), secret_values(manifest.spec, body)))
            return
        created = change.action is Action.CREATE or force
        self._done(change, Result.CREATED if created else Result.UPDATED)

    async def _delete_connection(self, change: Change) -> None:
        """--prune: the plan only proposes this for connections carrying our marker."""
        self.notify(Event(change.address, "started", change.action.value))
        # The URL comes from the plan's address (the workspace this configuration declares and
        # the connection's name), never from the id the server returned; that id must name
        # the same connection, or nothing is deleted.
        _kind, sub, group, workspace, name = change.address.split("/", 4)
        target = paths.connection(Address(Kind.CONNECTION, sub, group, name, workspace))
        live_id = change.before.get("id") if isinstance(change.before, dict) else None
        try:
            if not live_id or paths.connection_from_id(str(live_id)).lower() != target.lower():
                raise UnsafeUrlError(
                    "the live connection's id does not name the connection the plan deletes"
                )
            await self.client.request(
                "DELETE",
                target,
                params={"api-version": paths.CONNECTION_API},
                kind="connection.delete",
            )
        except ReconcilerError as error:
            self._done(change, Result.FAILED, str(error))
            return
        self._done(change, Result.DELETED)

    def _connection_body(self, manifest: ConnectionManifest, *, mark: bool) -> Any:
        body = secrets.resolve(manifest.spec, self.env, manifest.source.file.parent)
        props = dict(body.get("properties") or {})
        if mark:
            # The ownership marker (kept across updates: a PUT replaces the whole body).
            props["metadata"] = {
                **(props.get("metadata") or {}),
                OWNER_KEY: self.marker,
            }
        return {**body, "properties": props}
