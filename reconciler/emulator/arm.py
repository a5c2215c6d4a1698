"""Microsoft.MachineLearningServices as ARM serves it: workspaces, connections, operations.

Behaviour copied from the real service where clients can tell the difference: server-set
fields and defaults filled in, read-only input ignored, create-only changes refused with 400,
long-running PUTs in each of the shapes ARM uses, credentials never returned by GET or list,
paging through ``nextLink``, and ``ErrorResponse`` bodies with the real codes.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from reconciler.emulator import contract
from reconciler.emulator.knobs import Knobs, LroMode
from reconciler.emulator.state import (
    ConnectionRecord,
    Operation,
    State,
    WorkspaceRecord,
)
from reconciler.emulator.wire import Request, Response, arm_error

PROVIDER = "Microsoft.MachineLearningServices"
WORKSPACE_TYPE = f"{PROVIDER}/workspaces"
CONNECTION_TYPE = f"{PROVIDER}/workspaces/connections"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CALLER = "reconciler-emulator@example.com"

_READ_ONLY_WORKSPACE_PROPS = (
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
_WORKSPACE_DEFAULTS: dict[str, Any] = {
    "hbiWorkspace": False,
    "v1LegacyMode": False,
    "allowPublicAccessWhenBehindVnet": False,
    "publicNetworkAccess": "Enabled",
}
_CREATE_ONLY_MESSAGES = {
    "storageAccount": "Storage Account update is not supported yet",
    "keyVault": "Key Vault update is not supported yet",
}
_GROUPS = {
    "AzureAI": {
        "AzureOpenAI",
        "CognitiveSearch",
        "CognitiveService",
        "AIServices",
        "OpenAI",
        "Serverless",
        "BingLLMSearch",
        "Serp",
        "ApiKey",
        "CustomKeys",
    },
    "Azure": {
        "ADLSGen2",
        "AzureBlob",
        "AzureOneLake",
        "ContainerRegistry",
        "AzureDataExplorer",
        "AzureTableStorage",
        "AzureSqlDb",
        "AzureSqlMi",
        "AzureSynapseAnalytics",
        "AzureMySqlDb",
        "AzurePostgresDb",
        "AzureMariaDb",
        "AzureDatabricksDeltaLake",
    },
    "NoSQL": {
        "CosmosDb",
        "CosmosDbMongoDbApi",
        "MongoDbAtlas",
        "MongoDbV2",
        "Cassandra",
        "Couchbase",
        "Redis",
    },
    "File": {
        "S3",
        "AmazonS3Compatible",
        "GoogleCloudStorage",
        "OracleCloudStorage",
        "Hdfs",
        "FileServer",
        "FtpServer",
        "Sftp",
    },
    "GenericProtocol": {
        "GenericHttp",
        "GenericRest",
        "ODataRest",
        "Odbc",
        "Git",
        "PythonFeed",
        "GenericContainerRegistry",
        "WebTable",
        "SharePointOnlineList",
    },
}


def normalise_location(location: str) -> str:
    """ARM's canonical form: "East US 2" -> "eastus2"."""
    return "".join(location.split()).lower()


def _now_iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _system_data(existing: dict[str, Any] | None, now: float) -> dict[str, Any]:
    """ARM's systemData: creation kept from the first write, modification now."""
    created = existing["systemData"]["createdAt"] if existing else _now_iso(now)
    return {
        "createdAt": created,
        "createdBy": CALLER,
        "createdByType": "User",
        "lastModifiedAt": _now_iso(now),
        "lastModifiedBy": CALLER,
        "lastModifiedByType": "User",
    }


def _invalid_body(request: Request, operation_id: str, body: Any) -> Response | None:
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


class ArmService:
    def __init__(
        self, state: State, knobs: Knobs, clock: Callable[[], float], rng: random.Random
    ) -> None:
        self.state = state
        self.knobs = knobs
        self.clock = clock
        self.rng = rng

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

    def _workspace_view(self, record: WorkspaceRecord) -> dict[str, Any]:
        view = {**record.body, "properties": dict(record.body["properties"])}
        view["properties"]["provisioningState"] = "Deleting" if record.deleted else record.state
        return view

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
            id=str(uuid.UUID(int=self.rng.getrandbits(128))),
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

    # -- workspaces ---------------------------------------------------------------------------
    def get_workspace(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        record = self._workspace(sub, rg, ws)
        if record is None:
            return self._rg_missing(sub, rg) or self._not_found(WORKSPACE_TYPE, ws, rg)
        return Response(200, self._workspace_view(record))

    def put_workspace(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        missing = self._rg_missing(sub, rg)
        if missing:
            return missing
        body = _json_object(request)
        if isinstance(body, Response):
            return body
        invalid = _invalid_body(request, "Workspaces_CreateOrUpdate", body)
        if invalid:
            return invalid
        if "location" not in body:
            return arm_error(
                400,
                "LocationRequired",
                "The location property is required for this definition.",
                target="location",
            )
        key = State.ws_key(sub, rg, ws)
        record = self._workspace(sub, rg, ws)
        now = self.clock()
        if record is not None:
            if record.operation is not None or record.deleted:
                return arm_error(
                    409,
                    "AnotherOperationInProgress",
                    f"There is another operation in progress on workspace '{ws}'.",
                )
            refused = self._create_only_change(record.body, body, ws, rg)
            if refused:
                return refused
        stored = self._materialise(body, sub, rg, ws, record, now)
        op = self._start_operation("put", key, stored["id"], stored["location"])
        created = record is None
        new = WorkspaceRecord(
            body=stored, state="Creating" if created else "Updating", operation=op.id
        )
        self.state.workspaces[key] = new
        if self.knobs.provisioning_seconds <= 0:
            self.state.settle(now)
        return self._lro_response(request, sub, op, new, created)

    def _lro_response(
        self, request: Request, sub: str, op: Operation, record: WorkspaceRecord, created: bool
    ) -> Response:
        urls = self._operation_urls(request, sub, op)
        mode = self.knobs.lro_mode
        if mode is LroMode.ASYNC_OPERATION:
            return Response(202, None, urls)
        if mode is LroMode.LOCATION:
            return Response(
                202, None, {"Location": urls["Location"], "Retry-After": urls["Retry-After"]}
            )
        status = 201 if created else 200
        view = self._workspace_view(record)
        if mode is LroMode.CREATED_ASYNC:
            return Response(
                status,
                view,
                {
                    "Azure-AsyncOperation": urls["Azure-AsyncOperation"],
                    "Retry-After": urls["Retry-After"],
                },
            )
        return Response(status, view)

    def _create_only_change(
        self, old: dict[str, Any], new: dict[str, Any], ws: str, rg: str
    ) -> Response | None:
        if normalise_location(str(new.get("location", ""))) != old["location"]:
            return arm_error(
                400,
                "InvalidResourceLocation",
                f"The resource '{ws}' already exists in location '{old['location']}' in resource "
                f"group '{rg}'. A resource with the same name cannot be created in location "
                f"'{new.get('location')}'. Please select a new resource name.",
            )
        for prop, message in _CREATE_ONLY_MESSAGES.items():
            before = old["properties"].get(prop)
            after = new.get("properties", {}).get(prop)
            if after is not None and before is not None and after.lower() != before.lower():
                return arm_error(400, "BadRequest", message, target=f"properties.{prop}")
        return None

    def _materialise(
        self,
        body: dict[str, Any],
        sub: str,
        rg: str,
        ws: str,
        existing: WorkspaceRecord | None,
        now: float,
    ) -> dict[str, Any]:
        """The resource as GET will show it: input minus read-only, plus what ARM adds."""
        location = normalise_location(body["location"])
        given_rg = self.state.resource_groups[State.rg_key(sub, rg)]
        name = existing.body["name"] if existing else ws
        rid = f"/subscriptions/{sub}/resourceGroups/{given_rg}/providers/{WORKSPACE_TYPE}/{name}"
        props = {
            k: v
            for k, v in (body.get("properties") or {}).items()
            if k not in _READ_ONLY_WORKSPACE_PROPS
        }
        previous = existing.body["properties"] if existing else {}
        workspace_id = previous.get("workspaceId") or str(uuid.UUID(int=self.rng.getrandbits(128)))
        props = {**_WORKSPACE_DEFAULTS, "friendlyName": name, **props}
        props.update(
            {
                "workspaceId": workspace_id,
                "tenantId": TENANT,
                "discoveryUrl": props.get("discoveryUrl")
                or f"https://{location}.api.azureml.ms/discovery",
                "mlFlowTrackingUri": f"azureml://{location}.api.azureml.ms/mlflow/v1.0{rid}",
                "notebookInfo": previous.get("notebookInfo")
                or {
                    "fqdn": f"ml-{name.lower()}-{location}-{workspace_id}.{location}"
                    ".notebooks.azure.net",
                    "resourceId": uuid.UUID(int=self.rng.getrandbits(128)).hex,
                },
                "privateLinkCount": 0,
                "storageHnsEnabled": False,
                "privateEndpointConnections": [],
            }
        )
        out: dict[str, Any] = {
            "id": rid,
            "name": name,
            "type": WORKSPACE_TYPE,
            "location": location,
            "tags": dict(body.get("tags") or {}),
            "sku": body.get("sku") or {"name": "Basic", "tier": "Basic"},
            "properties": props,
            "systemData": _system_data(existing.body if existing else None, now),
        }
        if body.get("identity"):
            out["identity"] = self._identity(body["identity"], existing)
        return out

    def _identity(self, given: dict[str, Any], existing: WorkspaceRecord | None) -> dict[str, Any]:
        kind = given.get("type", "None")
        identity: dict[str, Any] = {"type": kind}
        previous = (existing.body.get("identity") if existing else None) or {}
        if "SystemAssigned" in kind:
            identity["principalId"] = previous.get("principalId") or str(
                uuid.UUID(int=self.rng.getrandbits(128))
            )
            identity["tenantId"] = TENANT
        if given.get("userAssignedIdentities"):
            identity["userAssignedIdentities"] = {
                rid: {
                    "principalId": str(uuid.UUID(int=self.rng.getrandbits(128))),
                    "clientId": str(uuid.UUID(int=self.rng.getrandbits(128))),
                }
                for rid in given["userAssignedIdentities"]
            }
        return identity

    def delete_workspace(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        record = self._workspace(sub, rg, ws)
        if record is None:
            missing = self._rg_missing(sub, rg)
            return missing or Response(204)
        if record.operation is not None:
            return arm_error(
                409,
                "AnotherOperationInProgress",
                f"There is another operation in progress on workspace '{ws}'.",
            )
        key = State.ws_key(sub, rg, ws)
        op = self._start_operation("delete", key, record.body["id"], record.body["location"])
        record.deleted = True
        record.operation = op.id
        if self.knobs.provisioning_seconds <= 0:
            self.state.settle(self.clock())
        urls = self._operation_urls(request, sub, op)
        return Response(
            202, None, {"Location": urls["Location"], "Retry-After": urls["Retry-After"]}
        )

    def list_workspaces(self, request: Request, sub: str, rg: str | None) -> Response:
        if rg is not None:
            missing = self._rg_missing(sub, rg)
            if missing:
                return missing
        self.state.settle(self.clock())
        records = [
            r
            for k, r in sorted(self.state.workspaces.items())
            if k[0] == sub.lower() and (rg is None or k[1] == rg.lower())
        ]
        return self._page(request, records, self._workspace_view)

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

    # -- operations ---------------------------------------------------------------------------
    def operation_status(self, request: Request, op_id: str, location_style: bool) -> Response:
        self.state.settle(self.clock())
        op = self.state.operations.get(op_id)
        if op is None:
            return arm_error(404, "ResourceNotFound", f"Operation '{op_id}' was not found.")
        retry = {"Retry-After": str(self.knobs.retry_after_seconds)}
        if location_style:
            if op.status == "InProgress":
                return Response(
                    202,
                    None,
                    {
                        **retry,
                        "Location": request.base_url
                        + request.path
                        + "?"
                        + urlencode(request.query),
                    },
                )
            if op.status == "Succeeded":
                if op.kind == "delete":
                    return Response(204)
                record = self.state.workspaces.get(op.resource_key)
                return Response(200, self._workspace_view(record) if record else None)
            error = op.error or {"code": op.status, "message": f"Operation {op.status}."}
            return arm_error(400 if op.status == "Failed" else 409, error["code"], error["message"])
        body: dict[str, Any] = {
            "id": request.path,
            "name": op.id,
            "status": op.status,
            "startTime": _now_iso(op.started),
        }
        if op.status != "InProgress":
            body["endTime"] = _now_iso(op.ends)
        if op.error and op.status in ("Failed", "Canceled"):
            body["error"] = op.error
        return Response(200, body, retry if op.status == "InProgress" else {})

    # -- notebook token -----------------------------------------------------------------------
    def notebook_token(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        record = self._workspace(sub, rg, ws)
        if record is None or record.deleted:
            return self._rg_missing(sub, rg) or self._not_found(WORKSPACE_TYPE, ws, rg)
        info = record.body["properties"].get("notebookInfo") or {}
        failure = info.get("notebookPreparationError")
        if failure:
            return arm_error(
                409,
                "NotebookPreparationError",
                f"The workspace notebook is not ready: "
                f"{failure.get('errorMessage', 'unknown error')} "
                f"(status {failure.get('statusCode', 'unknown')})",
            )
        if record.state != "Succeeded":
            return arm_error(
                409, "WorkspaceNotReady", f"Workspace '{ws}' is in state {record.state}."
            )
        fqdn = info.get("fqdn", "")
        return Response(
            200,
            {
                "notebookResourceId": info.get("resourceId", ""),
                "hostName": fqdn.split(".", 1)[0],
                "publicDns": fqdn.split(".", 1)[1] if "." in fqdn else fqdn,
                "accessToken": f"nb-access-{self.rng.getrandbits(64):016x}",
                "refreshToken": f"nb-refresh-{self.rng.getrandbits(64):016x}",
                "tokenType": "Bearer",
                "expiresIn": 28800,
                "scope": "aznb_identity",
            },
        )

    # -- connections --------------------------------------------------------------------------
    def _parent(self, sub: str, rg: str, ws: str) -> Response | WorkspaceRecord:
        record = self._workspace(sub, rg, ws)
        if record is None or record.deleted:
            return self._rg_missing(sub, rg) or self._not_found(WORKSPACE_TYPE, ws, rg)
        return record

    def get_connection(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        record = self.state.connections.get(State.conn_key(sub, rg, ws, name))
        if record is None:
            return self._not_found(CONNECTION_TYPE, f"{ws}/{name}", rg)
        return Response(200, record.body)

    def put_connection(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        body = _json_object(request)
        if isinstance(body, Response):
            return body
        invalid = _invalid_body(request, "WorkspaceConnections_Create", body)
        if invalid:
            return invalid
        body = _without_read_only(contract.without_nulls(body))
        key = State.conn_key(sub, rg, ws, name)
        existing = self.state.connections.get(key)
        props = dict(body["properties"])
        props.pop("group", None)
        props.pop("createdByWorkspaceArmId", None)
        credentials = props.pop("credentials", None)
        category = props.get("category")
        group = next((g for g, cats in _GROUPS.items() if category in cats), "ServicesAndApps")
        now = self.clock()
        stored_name = existing.body["name"] if existing else name
        props = {**props, "group": group, "createdByWorkspaceArmId": parent.body["id"]}
        props.setdefault("isSharedToAll", False)
        props.setdefault("sharedUserList", [])
        props.setdefault("metadata", {})
        view = {
            "id": f"{parent.body['id']}/connections/{stored_name}",
            "name": stored_name,
            "type": CONNECTION_TYPE,
            "properties": props,
            "systemData": _system_data(existing.body if existing else None, now),
        }
        self.state.put_connection(key, ConnectionRecord(body=view, credentials=credentials))
        return Response(200, view)

    def delete_connection(
        self, request: Request, sub: str, rg: str, ws: str, name: str
    ) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        removed = self.state.remove_connection(State.conn_key(sub, rg, ws, name))
        return Response(200 if removed else 204)

    def list_connections(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        target = request.query.get("target")
        category = request.query.get("category")
        items = [
            r.body
            for _, r in self.state.connections_in(State.ws_key(sub, rg, ws))
            if (target is None or r.body["properties"].get("target", "").lower() == target.lower())
            and (
                category is None
                or str(r.body["properties"].get("category", "")).lower() == category.lower()
            )
        ]
        return self._page(request, items)

    def list_secrets(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        if self.knobs.listsecrets_forbidden:
            return arm_error(
                403,
                "AuthorizationFailed",
                f"The client '{CALLER}' does not have authorization to perform "
                f"action '{CONNECTION_TYPE}/listsecrets/action'.",
            )
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        record = self.state.connections.get(State.conn_key(sub, rg, ws, name))
        if record is None:
            return self._not_found(CONNECTION_TYPE, f"{ws}/{name}", rg)
        view = {**record.body, "properties": dict(record.body["properties"])}
        if record.credentials is not None:
            view["properties"]["credentials"] = record.credentials
        return Response(200, view)


def _json_object(request: Request) -> dict[str, Any] | Response:
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


def _without_read_only(body: dict[str, Any]) -> dict[str, Any]:
    """ARM ignores read-only fields in a request; so does validation."""
    out = {k: v for k, v in body.items() if k not in ("id", "name", "type", "systemData")}
    props = out.get("properties")
    if isinstance(props, dict):
        out["properties"] = {
            k: v
            for k, v in props.items()
            if k not in (*_READ_ONLY_WORKSPACE_PROPS, "group", "createdByWorkspaceArmId")
        }
    identity = out.get("identity")
    if isinstance(identity, dict):
        identity = {k: v for k, v in identity.items() if k not in ("principalId", "tenantId")}
        if isinstance(identity.get("userAssignedIdentities"), dict):
            identity["userAssignedIdentities"] = {k: {} for k in identity["userAssignedIdentities"]}
        out["identity"] = identity
    return out
