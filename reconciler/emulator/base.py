"""What every Microsoft.MachineLearningServices handler of the emulator shares.

The service's state, knobs, clock and id source; the answers every resource type gives alike
(resource group and parent workspace missing, ARM's ``ResourceNotFound``, ``nextLink`` paging);
long-running operations (outcome, status URLs); and how a request body is read and validated.
Resource types live beside it (:mod:`.workspaces`, :mod:`.connections`, :mod:`.rules`); this
module knows none of them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from reconciler.emulator import contract, hubs, network, shapes
from reconciler.emulator.knobs import Knobs
from reconciler.emulator.state import Operation, State, WorkspaceRecord
from reconciler.emulator.wire import Request, Response, arm_error

PROVIDER = "Microsoft.MachineLearningServices"
WORKSPACE_TYPE = f"{PROVIDER}/workspaces"
CONNECTION_TYPE = f"{PROVIDER}/workspaces/connections"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CALLER = "reconciler-emulator@example.com"
READ_ONLY_WORKSPACE_PROPS = (
    "workspaceId",
    "provisioningState",
    "serviceProvisionedResourceGroup",
    "privateLinkCount",
    "privateEndpointConnections",
    "notebookInfo",
    "tenantId",
    "storageHnsEnabled",
    "mlFlowTrackingUri",
)


def normalise_location(location: str) -> str:
    """ARM's canonical form: "East US 2" -> "eastus2"."""
    return "".join(location.split()).lower()


def now_iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def system_data(existing: dict[str, Any] | None, now: float) -> dict[str, Any]:
    """ARM's systemData: creation kept from the first write, modification now."""
    created = existing["systemData"]["createdAt"] if existing else now_iso(now)
    return {
        "createdAt": created,
        "createdBy": CALLER,
        "createdByType": "User",
        "lastModifiedAt": now_iso(now),
        "lastModifiedBy": CALLER,
        "lastModifiedByType": "User",
    }


def valid_body(request: Request, operation_id: str) -> dict[str, Any] | Response:
    """The request's JSON object, valid for ``operation_id`` at its api-version, or the 400."""
    body = json_object(request)
    if isinstance(body, Response):
        return body
    return invalid_body(request, operation_id, body) or body


def invalid_body(request: Request, operation_id: str, body: Any) -> Response | None:
    """400 ``ValidationError`` naming the JSON path, against the request's api-version."""
    details = contract.body_errors(
        request.query.get("api-version", ""), operation_id, contract.without_nulls(body)
    )
    if not details:
        return None
    return arm_error(
        400,
        "ValidationError",
        "The request body is invalid.",
        target=details[0]["target"],
        details=details,
    )


def json_object(request: Request) -> dict[str, Any] | Response:
    """The request body as an object, or the 400 ARM answers when it is not one."""
    try:
        body = request.json()
    except (ValueError, RecursionError):
        return arm_error(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized.",
        )
    if contract.too_deep(body):
        return arm_error(
            400,
            "InvalidRequestContent",
            f"The request content is nested deeper than {contract.MAX_DEPTH} levels.",
        )
    if not isinstance(body, dict):
        return arm_error(400, "InvalidRequestContent", "The request content must be an object.")
    return body


def without_read_only(body: dict[str, Any]) -> dict[str, Any]:
    """ARM ignores read-only fields in a request; so does validation."""
    out = {k: v for k, v in body.items() if k not in ("id", "name", "type", "systemData")}
    props = out.get("properties")
    if isinstance(props, dict):
        out["properties"] = {
            k: v
            for k, v in props.items()
            if k not in (*READ_ONLY_WORKSPACE_PROPS, "group", "createdByWorkspaceArmId")
        }
    identity = out.get("identity")
    if isinstance(identity, dict):
        identity = {k: v for k, v in identity.items() if k not in ("principalId", "tenantId")}
        if isinstance(identity.get("userAssignedIdentities"), dict):
            identity["userAssignedIdentities"] = {k: {} for k in identity["userAssignedIdentities"]}
        out["identity"] = identity
    return out


class ArmBase:
    """State and helpers the resource types' handlers share."""

    def __init__(
        self,
        state: State,
        knobs: Knobs,
        clock: Callable[[], float],
        rng: random.Random,
        ids: random.Random | None = None,
    ) -> None:
        self.state = state
        self.knobs = knobs
        self.clock = clock
        self.rng = rng  # injected faults: reproducible from the seed
        self.ids = ids or random.Random()  # identifiers and tokens: fresh unless seeded

    def guid(self) -> str:
        return str(uuid.UUID(int=self.ids.getrandbits(128), version=4))

    # -- helpers ------------------------------------------------------------------------------
    def _rg_missing(self, sub: str, rg: str) -> Response | None:
        if State.rg_key(sub, rg) not in self.state.resource_groups:
            return arm_error(
                404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found."
            )
        return None

    def _workspace(self, sub: str, rg: str, ws: str) -> WorkspaceRecord | None:
        self.state.settle(self.clock())
        return self.state.workspaces.get(State.ws_key(sub, rg, ws))

    @staticmethod
    def _not_found(kind: str, name: str, rg: str) -> Response:
        return arm_error(
            404,
            "ResourceNotFound",
            f"The Resource '{kind}/{name}' under resource group '{rg}' was not found."
            " For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        )

    def _workspace_view(
        self, record: WorkspaceRecord, api_version: str | None = None
    ) -> dict[str, Any]:
        view = {**record.body, "properties": dict(record.body["properties"])}
        view["properties"]["provisioningState"] = "Deleting" if record.deleted else record.state
        view = network.with_rules(view)  # the managed network lists Azure's own rules too
        if hubs.is_project(view.get("kind")):
            hub = hubs.hub_of(self.state, view["properties"].get("hubResourceId"))
            if hub is not None:  # a project shows what it inherits from its hub
                view = hubs.inherit(view, network.with_rules(hub.body))
        if self.knobs.shapes == shapes.REALISTIC:
            # Azure serves what a newer version wrote to older readers too.
            return shapes.realistic_workspace(view, view["id"].split("/")[4])
        return contract.workspace_shape(api_version, view)

    def _outcome(self) -> tuple[str, dict[str, Any] | None]:
        draw = self.rng.random()
        if draw < self.knobs.lro_failure_rate:
            return "Failed", {
                "code": "InternalServerError",
                "message": "Workspace provisioning failed (injected fault).",
            }
        if draw < self.knobs.lro_failure_rate + self.knobs.lro_cancel_rate:
            return "Canceled", {
                "code": "OperationCanceled",
                "message": "The operation was canceled (injected fault).",
            }
        return "Succeeded", None

    def _start_operation(
        self, kind: str, key: tuple[str, ...], resource_id: str, location: str
    ) -> Operation:
        now = self.clock()
        outcome, error = self._outcome() if kind == "put" else ("Succeeded", None)
        op = Operation(
            id=self.guid(),
            kind=kind,
            resource_key=key,
            resource_id=resource_id,
            location=location,
            started=now,
            ends=now + self.knobs.provisioning_seconds,
            outcome=outcome,
            error=error,
        )
        self.state.add_operation(op)
        return op

    def _operation_urls(self, request: Request, sub: str, op: Operation) -> dict[str, str]:
        base = (
            f"{request.base_url}/subscriptions/{sub}/providers/{PROVIDER}/locations/{op.location}"
        )
        version = request.query.get("api-version", "")
        return {
            "Azure-AsyncOperation": f"{base}/mlworkspaceOperationsStatus/{op.id}"
            f"?api-version={version}",
            "Location": f"{base}/workspaceOperationsStatus/{op.id}?api-version={version}"
            "&type=location",
            "Retry-After": str(self.knobs.retry_after_seconds),
        }

    def _page(
        self,
        request: Request,
        items: list[Any],
        view: Callable[[Any], dict[str, Any]] = lambda item: item,
    ) -> Response:
        try:
            skip = int(request.query.get("$skip", "0"))
        except ValueError:
            return arm_error(400, "InvalidSkipToken", "The $skip continuation token is invalid.")
        size = max(1, self.knobs.page_size)
        page: dict[str, Any] = {
            "value": [view(i) for i in items[skip : skip + size]],
            "nextLink": None,
        }
        if skip + size < len(items):
            query = {**request.query, "$skip": str(skip + size)}
            page["nextLink"] = f"{request.base_url}{request.path}?{urlencode(query)}"
        return Response(200, page)

    def _parent(self, sub: str, rg: str, ws: str) -> Response | WorkspaceRecord:
        record = self._workspace(sub, rg, ws)
        if record is None or record.deleted:
            return self._rg_missing(sub, rg) or self._not_found(WORKSPACE_TYPE, ws, rg)
        return record
