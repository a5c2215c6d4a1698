"""Microsoft.MachineLearningServices as ARM serves it: workspaces, connections, operations.

Behaviour copied from the real service where clients can tell the difference: server-set
fields and defaults filled in, read-only input ignored, create-only changes refused with 400,
long-running PUTs in each of the shapes ARM uses, credentials never returned by GET or list,
paging through ``nextLink``, and ``ErrorResponse`` bodies with the real codes.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from reconciler.emulator import contract, shapes
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
# Dependent resources a workspace is created with, and the resource type each id must name.
_DEPENDENCIES = {
    "keyVault": "Microsoft.KeyVault/vaults",
    "storageAccount": "Microsoft.Storage/storageAccounts",
}
_ARM_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[-\w._()]{1,90}/providers/(?P<type>[^/]+/[^/]+)/[^/]+$",
    re.IGNORECASE,
)
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


def _valid_body(request: Request, operation_id: str) -> dict[str, Any] | Response:
    """The request's JSON object, valid for ``operation_id`` at its api-version, or the 400."""
    body = _json_object(request)
    if isinstance(body, Response):
        return body
    return _invalid_body(request, operation_id, body) or body


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

    def _connection_not_found(self, ws: str, name: str, location: str) -> Response:
        """A missing connection is the resource provider's own 404, not the gateway's: Azure
        ML's error envelope, ``UserError`` with an inner ``NotFoundError``, plus its
        correlation, location and component fields (what clients see for child resources)."""
        body = {
            "error": {
                "code": "UserError",
                "severity": None,
                "message": f"Workspace connection '{name}' was not found in workspace '{ws}'.",
                "messageFormat": None,
                "messageParameters": None,
                "referenceCode": None,
                "detailsUri": None,
                "target": None,
                "details": [],
                "innerError": {"code": "NotFoundError", "innerError": None},
                "debugInfo": None,
                "additionalInfo": None,
            },
            "correlation": {"operation": uuid.uuid4().hex, "request": uuid.uuid4().hex[:16]},
            "environment": location,
            "location": location,
            "time": datetime.fromtimestamp(self.clock(), UTC).isoformat(),
            "componentName": "account-rp",
        }
        return Response(404, body, {"x-ms-error-code": "UserError"})

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

    # -- workspaces ---------------------------------------------------------------------------
    def get_workspace(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        record = self._workspace(sub, rg, ws)
        if record is None:
            return self._rg_missing(sub, rg) or self._not_found(WORKSPACE_TYPE, ws, rg)
        return Response(200, self._workspace_view(record, request.query.get("api-version")))

    def put_workspace(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        missing = self._rg_missing(sub, rg)
        if missing:
            return missing
        body = _valid_body(request, "Workspaces_CreateOrUpdate")
        if isinstance(body, Response):
            return body
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
        if record is None and key in self.state.soft_deleted:
            return arm_error(
                400,
                "BadRequest",
                "Soft-deleted workspace exists. Please purge or recover it. "
                "https://aka.ms/wsoftdelete",
            )
        if self.knobs.strict_dependencies:
            refused = _dependency_problem(body, creating=record is None)
            if refused:
                return refused
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
        # The definition documents 200 and 202 only: a created workspace is 200 as well.
        status = 200
        view = self._workspace_view(record, request.query.get("api-version"))
        if mode is LroMode.BODY_ASYNC:
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
        for prop in _DEPENDENCIES:  # create-only: an update that leaves them out keeps them
            if prop not in props and previous.get(prop):
                props[prop] = previous[prop]
        workspace_id = previous.get("workspaceId") or self.guid()
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
                    "resourceId": self.guid().replace("-", ""),
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
            "kind": body.get("kind")
            or (existing.body.get("kind") if existing else None)
            or "Default",
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
            identity["principalId"] = previous.get("principalId") or str(self.guid())
            identity["tenantId"] = TENANT
        if given.get("userAssignedIdentities"):
            identity["userAssignedIdentities"] = {
                rid: {
                    "principalId": self.guid(),
                    "clientId": self.guid(),
                }
                for rid in given["userAssignedIdentities"]
            }
        return identity

    def delete_workspace(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        record = self._workspace(sub, rg, ws)
        purge = request.query.get("forceToPurge", "").lower() == "true"
        key = State.ws_key(sub, rg, ws)
        if record is None:
            missing = self._rg_missing(sub, rg)
            if missing:
                return missing
            if purge and self.state.soft_deleted.pop(key, None) is not None:
                return Response(200)
            return Response(204)
        if record.operation is not None:
            return arm_error(
                409,
                "AnotherOperationInProgress",
                f"There is another operation in progress on workspace '{ws}'.",
            )
        op = self._start_operation("delete", key, record.body["id"], record.body["location"])
        op.purge = purge
        record.deleted = True
        record.operation = op.id
        if self.knobs.provisioning_seconds <= 0:
            self.state.settle(self.clock())
        urls = self._operation_urls(request, sub, op)
        if self.knobs.lro_mode is LroMode.LOCATION:
            urls.pop("Azure-AsyncOperation")
        return Response(202, None, urls)

    def patch_workspace(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        """PATCH: the given top-level fields replace, the given properties merge."""
        record = self._workspace(sub, rg, ws)
        if record is None or record.deleted:
            return self._rg_missing(sub, rg) or self._not_found(WORKSPACE_TYPE, ws, rg)
        body = _valid_body(request, "Workspaces_Update")
        if isinstance(body, Response):
            return body
        if record.operation is not None:
            return arm_error(
                409,
                "AnotherOperationInProgress",
                f"There is another operation in progress on workspace '{ws}'.",
            )
        body = contract.without_nulls(body)
        now = self.clock()
        stored = {**record.body, "properties": dict(record.body["properties"])}
        for field in ("tags", "sku"):
            if field in body:
                stored[field] = body[field]
        if body.get("identity"):
            stored["identity"] = self._identity(body["identity"], record)
        stored["properties"].update(
            {
                k: v
                for k, v in (body.get("properties") or {}).items()
                if k not in _READ_ONLY_WORKSPACE_PROPS
            }
        )
        stored["systemData"] = _system_data(record.body, now)
        key = State.ws_key(sub, rg, ws)
        op = self._start_operation("put", key, stored["id"], stored["location"])
        new = WorkspaceRecord(body=stored, state="Updating", operation=op.id)
        self.state.workspaces[key] = new
        if self.knobs.provisioning_seconds <= 0:
            self.state.settle(now)
        return self._lro_response(request, sub, op, new, False)

    # -- outbound rules (managed network) -----------------------------------------------------
    def _rules(self, record: WorkspaceRecord) -> dict[str, Any]:
        network = record.body["properties"].setdefault("managedNetwork", {})
        rules = network.get("outboundRules")
        if not isinstance(rules, dict):
            rules = network["outboundRules"] = {}
        found: dict[str, Any] = rules
        return found

    def _rule_view(
        self, record: WorkspaceRecord, name: str, rule: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "id": f"{record.body['id']}/outboundRules/{name}",
            "name": name,
            "type": f"{WORKSPACE_TYPE}/outboundRules",
            "properties": rule,
        }

    def _rule_name(self, rules: dict[str, Any], name: str) -> str | None:
        return next((k for k in rules if k.lower() == name.lower()), None)

    def provision_network(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        body = request.json() if request.body else {}
        spark = bool(isinstance(body, dict) and body.get("includeSpark"))
        network = parent.body["properties"].setdefault("managedNetwork", {})
        network["status"] = {"status": "Active", "sparkReady": spark}
        return Response(200, {"status": "Active", "sparkReady": spark})

    def list_rules(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        rules = self._rules(parent)
        return self._page(
            request, sorted(rules.items()), lambda item: self._rule_view(parent, *item)
        )

    def get_rule(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        rules = self._rules(parent)
        found = self._rule_name(rules, name)
        if found is None:
            return self._not_found(f"{WORKSPACE_TYPE}/outboundRules", f"{ws}/{name}", rg)
        return Response(200, self._rule_view(parent, found, rules[found]))

    def put_rule(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        body = _valid_body(request, "ManagedNetworkSettingsRule_CreateOrUpdate")
        if isinstance(body, Response):
            return body
        rules = self._rules(parent)
        stored_name = self._rule_name(rules, name) or name
        given = {
            k: v
            for k, v in contract.without_nulls(body)["properties"].items()
            if k not in ("status", "errorInformation", "parentRuleNames")
        }
        rule = {"category": "UserDefined", **given, "status": "Active", "errorInformation": None}
        rules[stored_name] = rule
        return Response(200, self._rule_view(parent, stored_name, rule))

    def delete_rule(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        rules = self._rules(parent)
        found = self._rule_name(rules, name)
        if found is None:
            return Response(204)
        del rules[found]
        return Response(200)

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
        version = request.query.get("api-version")
        return self._page(request, records, lambda r: self._workspace_view(r, version))

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
                version = request.query.get("api-version")
                return Response(200, self._workspace_view(record, version) if record else None)
            error = op.error or {"code": op.status, "message": f"Operation {op.status}."}
            return arm_error(400 if op.status == "Failed" else 409, error["code"], error["message"])
        # As recorded from Azure: the status and how far it got, nothing else.
        body: dict[str, Any] = {"status": op.status, "percentComplete": 100.0}
        if op.status == "InProgress":
            span = max(op.ends - op.started, 1e-9)
            body["percentComplete"] = round(
                min(99.0, 100.0 * (self.clock() - op.started) / span), 1
            )
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
                "accessToken": f"nb-access-{self.ids.getrandbits(64):016x}",
                "refreshToken": f"nb-refresh-{self.ids.getrandbits(64):016x}",
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
            return self._connection_not_found(ws, name, parent.body.get("location", ""))
        return Response(200, self._connection_view(record.body, request))

    def _connection_view(self, body: dict[str, Any], request: Request) -> dict[str, Any]:
        """As the request's api-version serialises it (realistic: newer members kept too)."""
        if self.knobs.shapes == shapes.REALISTIC:
            return shapes.realistic_connection(body)
        return contract.connection_shape(request.query.get("api-version"), body)

    def put_connection(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        body = _valid_body(request, "WorkspaceConnections_Create")
        if isinstance(body, Response):
            return body
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
        return Response(200, self._connection_view(view, request))

    def patch_connection(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        """2025-09-01's connection PATCH: the given properties (and credentials) merge in."""
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        record = self.state.connections.get(State.conn_key(sub, rg, ws, name))
        if record is None:
            return self._connection_not_found(ws, name, parent.body.get("location", ""))
        body = _valid_body(request, "WorkspaceConnections_Update")
        if isinstance(body, Response):
            return body
        given = dict(contract.without_nulls(body).get("properties") or {})
        for server_set in ("group", "createdByWorkspaceArmId"):
            given.pop(server_set, None)
        credentials = given.pop("credentials", None)
        if credentials is not None:
            record.credentials = credentials
        record.body = {
            **record.body,
            "properties": {**record.body["properties"], **given},
            "systemData": _system_data(record.body, self.clock()),
        }
        return Response(200, self._connection_view(record.body, request))

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
            self._connection_view(r.body, request)
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
            return self._connection_not_found(ws, name, parent.body.get("location", ""))
        view = self._connection_view(record.body, request)
        view = {**view, "properties": dict(view["properties"])}
        if record.credentials is not None:
            view["properties"]["credentials"] = record.credentials
        return Response(200, view)


def _dependency_problem(body: dict[str, Any], *, creating: bool) -> Response | None:
    """Azure creates a workspace only with a key vault and a storage account, named by ARM
    ids of their resource types.

    The answers are the ones the public record shows: a body without them is the provider's
    400 ``ValidationError`` "Missing dependent resources in workspace json" (azure-sdk-for-js
    #10473 sent ``{location}`` alone; MicrosoftDocs/azure-docs-cli #4467 shows the message),
    an id that is not one is ARM's ``LinkedInvalidPropertyId``."""
    props = body.get("properties") or {}
    for prop, kind in _DEPENDENCIES.items():
        value = props.get(prop)
        if value is None:
            if creating:
                return arm_error(
                    400,
                    "ValidationError",
                    f"Missing dependent resources in workspace json: {prop} is required.",
                    target=f"properties.{prop}",
                )
            continue
        match = _ARM_ID.match(str(value))
        if match is None or match.group("type").lower() != kind.lower():
            return arm_error(
                400,
                "LinkedInvalidPropertyId",
                f"Property id '{value}' at path 'properties.{prop}' is invalid. Expect fully "
                f"qualified resource Id that start with '/subscriptions/{{subscriptionId}}' "
                f"of type '{kind}'.",
                target=f"properties.{prop}",
            )
    return None


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
