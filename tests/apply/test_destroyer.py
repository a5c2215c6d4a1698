"""The destroyer on its own: given a destroy plan, what it deletes, in what order, how it
follows the deletes' long-running operations, and how a rerun after a failure converges.

The emulator answers in-process on a fake clock (the applier tests' :class:`Setup`).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from reconciler.apply.applier import ApplyReport, Result, explained
from reconciler.apply.destroyer import (
    DeleteOptions,
    Destroyer,
    confirm,
    confirm_workspaces,
    deleted_first,
    to_delete,
)
from reconciler.arm.connect import arm_client
from reconciler.emulator import DEFAULT_SUBSCRIPTION
from reconciler.emulator.knobs import LroMode
from reconciler.emulator.state import State
from reconciler.errors import ArmError, OperationFailed, UsageError
from reconciler.kinds import WORKSPACE
from reconciler.plan.destroy import DestroyOptions
from reconciler.plan.model import Action, Change, Plan, ReasonCode
from reconciler.session import make_destroy_plan
from tests.apply.test_applier import RG, Setup
from tests.linked import LINKED_YAML

WORKSPACE_KEY = State.ws_key(DEFAULT_SUBSCRIPTION, RG, "ws-a")


class Recording(Setup):
    """The applier tests' setup, noting every request sent and able to fail some."""

    def __init__(self, tmp: Path, *, fail: str = "", **knobs: object) -> None:
        super().__init__(tmp, fault=self._fault, **knobs)
        self.sent: list[httpx.Request] = []
        self.fail = fail  # the end of a path whose DELETE is refused

    def _fault(self, request: httpx.Request) -> httpx.Response | None:
        self.sent.append(request)
        if self.fail and request.method == "DELETE" and request.url.path.endswith(self.fail):
            error = {"code": "InternalServerError", "message": "the service broke down"}
            return httpx.Response(400, json={"error": error})
        return None

    def destroy_plan(self, **options: bool) -> Plan:
        made = make_destroy_plan(
            self.manifests(),
            self.target,
            options=DestroyOptions(include_workspaces=True, **options),
        )
        return asyncio.run(made)

    def destroy(self, plan: Plan, **options: object) -> ApplyReport:
        async def go() -> ApplyReport:
            async with arm_client(self.target) as client:
                wanted = DeleteOptions(**options)  # type: ignore[arg-type]
                return await Destroyer(client, options=wanted).destroy(plan)

        return asyncio.run(go())

    def deletes(self) -> list[str]:
        return [r.url.path.rsplit("/", 1)[-1] for r in self.sent if r.method == "DELETE"]


def _applied(tmp_path: Path, **kwargs: object) -> Recording:
    setup = Recording(tmp_path, **kwargs)
    assert setup.apply(setup.plan()).ok
    setup.sent.clear()
    return setup


def _address(report: ApplyReport, name: str) -> str:
    return next(a for a in report.results if a.endswith("/" + name))


def _by_name(report: ApplyReport) -> dict[str, Result]:
    return {address.rsplit("/", 1)[-1]: result for address, (result, _) in report.results.items()}


def test_a_failure_half_way_loses_nothing_and_a_rerun_converges(tmp_path: Path) -> None:
    setup = _applied(tmp_path, fail="/workspaces/ws-a")
    report = setup.destroy(setup.destroy_plan())
    results = _by_name(report)
    assert results == {
        "git-secret": Result.DELETED,
        "git-open": Result.DELETED,
        "ws-a": Result.FAILED,
    }
    assert "the service broke down" in report.results[_address(report, "ws-a")][1]
    assert not report.ok
    assert WORKSPACE_KEY in setup.emulator.state.workspaces
    setup.fail = ""  # the service recovers: the rerun deletes what is left, and only that
    again = setup.destroy_plan()
    codes = {c.address.rsplit("/", 1)[-1]: c.code for c in again.changes}
    assert codes["git-secret"] is codes["git-open"] is ReasonCode.ALREADY_ABSENT
    assert codes["ws-a"] is ReasonCode.DESTROYED_SOFT
    setup.sent.clear()
    assert setup.destroy(again).ok
    assert setup.deletes() == ["ws-a"]
    assert WORKSPACE_KEY not in setup.emulator.state.workspaces
    assert WORKSPACE_KEY in setup.emulator.state.soft_deleted  # not purged: no --purge


def test_a_child_that_fails_keeps_its_workspace(tmp_path: Path) -> None:
    setup = _applied(tmp_path, fail="/connections/git-open")
    report = setup.destroy(setup.destroy_plan())
    results = _by_name(report)
    assert results["git-open"] is Result.FAILED
    assert results["git-secret"] is Result.DELETED
    assert results["ws-a"] is Result.SKIPPED
    assert "(git-open)" in report.results[_address(report, "ws-a")][1]
    assert "ws-a" not in setup.deletes()  # never sent
    assert WORKSPACE_KEY in setup.emulator.state.workspaces


@pytest.mark.parametrize("mode", [LroMode.ASYNC_OPERATION, LroMode.LOCATION])
def test_deletes_follow_their_long_running_operations(tmp_path: Path, mode: LroMode) -> None:
    setup = _applied(tmp_path, lro_mode=mode)
    setup.emulator.knobs.provisioning_seconds = 90.0  # a delete takes a minute and a half
    started = setup.time.now
    report = setup.destroy(setup.destroy_plan(purge=True))
    assert report.ok and _by_name(report)["ws-a"] is Result.DELETED
    assert setup.time.now - started >= 90.0  # waited for the operation, not just its 202
    assert setup.deletes()[-1] == "ws-a"  # the workspace after what it holds
    workspace_delete = [r for r in setup.sent if r.method == "DELETE"][-1]
    assert workspace_delete.url.params["forceToPurge"] == "true"
    assert WORKSPACE_KEY not in setup.emulator.state.workspaces
    assert WORKSPACE_KEY not in setup.emulator.state.soft_deleted  # purged: the name is free


def test_a_delete_answering_poll_again_at_once_is_polled_less_and_less_often(
    tmp_path: Path,
) -> None:
    """Retry-After: 0 on every status answer while a delete takes 90 s: not a hot loop (on
    this fake clock, one that never ended) but waits growing from 1 s to 30 s."""
    setup = _applied(tmp_path, retry_after_seconds=0)
    setup.emulator.knobs.provisioning_seconds = 90.0
    report = setup.destroy(setup.destroy_plan(purge=True))
    assert report.ok
    polls = [r for r in setup.sent if r.method == "GET"]
    assert 0 < len(polls) <= 3 * 9, len(polls)


def test_without_purge_no_purge_parameter_is_sent(tmp_path: Path) -> None:
    setup = _applied(tmp_path)
    assert setup.destroy(setup.destroy_plan()).ok
    workspace_delete = [r for r in setup.sent if r.method == "DELETE"][-1]
    assert "forceToPurge" not in workspace_delete.url.params


def test_a_202_without_an_operation_url_is_followed_until_the_resource_is_gone(
    tmp_path: Path,
) -> None:
    setup = _applied(tmp_path)
    setup.emulator.knobs.provisioning_seconds = 60.0
    inner = setup.target.transport
    assert inner is not None

    class Bare(httpx.AsyncBaseTransport):
        """Drops the operation headers of a DELETE's 202: only the resource tells the end."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            answer = await inner.handle_async_request(request)
            if request.method == "DELETE" and answer.status_code == 202:
                await answer.aread()
                return httpx.Response(202, content=answer.content)
            return answer

    setup.target = replace(setup.target, transport=Bare())
    started = setup.time.now
    report = setup.destroy(setup.destroy_plan())
    assert report.ok, report.results
    assert setup.time.now - started >= 60.0
    assert WORKSPACE_KEY not in setup.emulator.state.workspaces


OPERATION = (
    "http://127.0.0.1/subscriptions/s/providers/Microsoft.MachineLearningServices/"
    "locations/westeurope/workspaceOperationsStatus/op-1"
)


@pytest.mark.parametrize(
    "operation",
    [
        # The operation says the delete is done, yet the workspace is there (it came back:
        # recreated, recovered, or the delete was lost).
        httpx.Response(200, json={"status": "Succeeded"}),
        # The operation is unknown: that says nothing about the workspace.
        httpx.Response(404, json={"error": {"code": "NotFound", "message": "no such operation"}}),
    ],
    ids=["succeeded", "operation-404"],
)
def test_a_workspace_still_there_after_its_delete_is_not_reported_deleted(
    tmp_path: Path, operation: httpx.Response
) -> None:
    setup = _applied(tmp_path)

    def lost_delete(request: httpx.Request) -> httpx.Response | None:
        setup.sent.append(request)
        if request.method == "DELETE" and request.url.path.endswith("/workspaces/ws-a"):
            return httpx.Response(202, headers={"Azure-AsyncOperation": OPERATION})
        if str(request.url).startswith(OPERATION):
            return operation
        return None

    setup.fault = lost_delete
    report = setup.destroy(setup.destroy_plan())
    assert WORKSPACE_KEY in setup.emulator.state.workspaces
    result, detail = report.results[_address(report, "ws-a")]
    assert result is Result.FAILED, detail
    assert "still there" in detail
    assert not report.ok


def test_a_delete_that_outlasts_its_timeout_says_to_rerun_destroy(tmp_path: Path) -> None:
    setup = _applied(tmp_path)
    setup.emulator.knobs.provisioning_seconds = 600.0
    report = setup.destroy(setup.destroy_plan(), timeout=60.0)
    result, detail = report.results[_address(report, "ws-a")]
    assert result is Result.FAILED
    assert "did not finish within 60 s" in detail
    assert "rerun destroy" in detail and "rerun apply" not in detail


def test_a_rerun_while_a_workspace_is_still_being_deleted_converges(tmp_path: Path) -> None:
    """The documented way on after a timeout is to rerun destroy. While Azure is still deleting
    the workspace, its children's lists answer 404: they are gone, not a reason to fail."""
    setup = _applied(tmp_path)
    setup.emulator.knobs.provisioning_seconds = 600.0
    first = setup.destroy(setup.destroy_plan(), timeout=60.0)
    assert _by_name(first)["ws-a"] is Result.FAILED  # still being deleted in Azure
    setup.time.now += 300.0  # rerun later: Azure is still at it
    again = setup.destroy_plan()
    codes = {c.address.rsplit("/", 1)[-1]: c.code for c in again.changes}
    assert codes["git-secret"] is codes["git-open"] is ReasonCode.ALREADY_ABSENT
    assert setup.destroy(again).ok
    assert WORKSPACE_KEY not in setup.emulator.state.workspaces


def test_only_the_workspaces_the_plan_deletes_must_be_confirmed(tmp_path: Path) -> None:
    setup = _applied(tmp_path)
    plan = setup.destroy_plan()
    workspaces = to_delete(plan)
    assert [c.action for c in workspaces] == [Action.DELETE]
    confirm_workspaces(workspaces, ["WS-A"], ask=None)  # names compare case-insensitively
    confirm_workspaces(workspaces, None, ask=lambda question: " ws-a \n")
    with pytest.raises(UsageError, match="missing ws-a; not deleted by this plan: ws-b"):
        confirm_workspaces(workspaces, ["ws-b"], ask=None)
    with pytest.raises(UsageError, match="--confirm-workspaces ws-a"):
        confirm_workspaces(workspaces, None, ask=None)
    with pytest.raises(UsageError, match="missing ws-a"):
        confirm_workspaces(workspaces, None, ask=lambda question: "yes")
    confirm_workspaces([], None, ask=None)  # nothing to delete: nothing to confirm


@pytest.mark.parametrize(
    "error",
    [
        ArmError(400, "BadRequest", "Soft-deleted workspace exists. Please purge or recover it."),
        # As the failed operation of a deployment (Azure/ResourceModules#3596).
        OperationFailed(
            0, "BadRequest", "workspace ws-a ended Failed: Soft-deleted workspace exists."
        ),
    ],
)
def test_a_create_refused_for_a_soft_deleted_name_is_explained(error: ArmError) -> None:
    text = explained(WORKSPACE, "ws-a", error, str(error))
    assert text.startswith("the name 'ws-a' is held by a soft-deleted workspace")
    assert "Recently deleted" in text and "another name" in text and "--purge" in text
    assert text.endswith(str(error))
    other = ArmError(400, "BadRequest", "Storage Account update is not supported yet")
    assert explained(WORKSPACE, "ws-a", other, str(other)) == str(other)


HUB_ID = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
    "Microsoft.MachineLearningServices/workspaces/hub"
)
HUB_AND_PROJECT = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: westeurope}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: hub, apiVersion: 2025-09-01}}
spec: {{kind: Hub, properties: {{{LINKED_YAML}}}}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: hub2, apiVersion: 2025-09-01}}
spec: {{kind: Hub, properties: {{{LINKED_YAML}}}}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: project, apiVersion: 2025-09-01}}
spec:
  kind: Project
  properties:
    {{{LINKED_YAML}, hubResourceId: {HUB_ID}}}
"""


def _hub_and_project(tmp_path: Path, fail: str) -> Recording:
    setup = Recording(tmp_path, fail=fail)
    setup.path.write_text(HUB_AND_PROJECT, encoding="utf-8")
    assert setup.apply(setup.plan()).ok
    setup.emulator.knobs.provisioning_seconds = 30.0  # each delete takes a while
    return setup


def test_a_hub_stays_when_its_project_was_not_deleted(tmp_path: Path) -> None:
    setup = _hub_and_project(tmp_path, fail="/workspaces/project")
    report = setup.destroy(setup.destroy_plan())
    assert _by_name(report) == {
        "project": Result.FAILED,
        "hub": Result.SKIPPED,
        "hub2": Result.DELETED,
    }
    assert "hub" not in setup.deletes()  # never sent


def test_a_hub_is_deleted_after_its_project_and_waits_for_no_other(tmp_path: Path) -> None:
    """hub2's id starts with hub's, and hub2 names no hub: hub does not wait for it."""
    setup = _hub_and_project(tmp_path, fail="/workspaces/hub2")
    events: list[tuple[str, str]] = []
    plan = setup.destroy_plan()

    async def go() -> ApplyReport:
        async with arm_client(setup.target) as client:
            notify = lambda e: events.append((e.address.rsplit("/", 1)[-1], e.status))  # noqa: E731
            return await Destroyer(client, options=DeleteOptions(), notify=notify).destroy(plan)

    report = asyncio.run(go())
    assert _by_name(report) == {
        "project": Result.DELETED,
        "hub": Result.DELETED,
        "hub2": Result.FAILED,
    }
    assert events.index(("project", "deleted")) < events.index(("hub", "started"))


def _named(name: str, *names: str) -> Change:
    ids = {n: f"/subscriptions/s/resourceGroups/g/providers/p/workspaces/{n}" for n in names}
    body = {"id": f"/subscriptions/s/resourceGroups/g/providers/p/workspaces/{name}", "refs": ids}
    return Change(
        address=name,
        kind=WORKSPACE.kind,
        action=Action.DELETE,
        code=ReasonCode.DESTROYED,
        reason="",
        before=body,
    )


def test_resources_naming_each_other_wait_for_none_of_the_cycle() -> None:
    first = deleted_first(
        {"a": _named("a", "b"), "b": _named("b", "a"), "c": _named("c"), "d": _named("d", "c")}
    )
    assert first == {"a": set(), "b": set(), "c": {"d"}, "d": set()}


def test_nothing_is_deleted_without_a_yes() -> None:
    confirm(auto_approve=True, ask=None)
    confirm(auto_approve=False, ask=lambda question: "yes\n")
    with pytest.raises(UsageError, match="destroy cancelled; nothing was deleted"):
        confirm(auto_approve=False, ask=lambda question: "y")
    with pytest.raises(UsageError, match="no terminal to ask on; pass --auto-approve"):
        confirm(auto_approve=False, ask=None)


def test_an_unreadable_operation_status_is_named_without_its_query(tmp_path: Path) -> None:
    """ARM signs its operation URLs in their query: an operation status that cannot be read
    (not an object) names the operation by its path, as every other message names a URL."""
    setup = _applied(tmp_path)
    signed = OPERATION + "?api-version=2023-04-01&t=639&c=MIIHcert&s=SIGNATURE&h=HASH"

    def unreadable_status(request: httpx.Request) -> httpx.Response | None:
        setup.sent.append(request)
        if request.method == "DELETE" and request.url.path.endswith("/workspaces/ws-a"):
            return httpx.Response(202, headers={"Azure-AsyncOperation": signed})
        if str(request.url).startswith(OPERATION):
            return httpx.Response(200, json=[])
        return None

    setup.fault = unreadable_status
    report = setup.destroy(setup.destroy_plan())
    result, detail = report.results[_address(report, "ws-a")]
    assert result is Result.FAILED, detail
    assert "expected an operation status" in detail and "workspaceOperationsStatus/op-1" in detail
    assert "SIGNATURE" not in detail and "MIIHcert" not in detail, detail
