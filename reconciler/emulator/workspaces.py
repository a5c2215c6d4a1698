"""Workspaces as Microsoft.MachineLearningServices serves them.

Server-set fields and defaults filled in, read-only input ignored, create-only changes refused
with 400, the key vault and storage account a workspace needs (a project: its hub,
:mod:`.hubs`), long-running PUT, PATCH and DELETE in each of the shapes ARM uses, soft delete,
and the notebook access token.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.emulator import contract, hubs, network
from reconciler.emulator.base import (
    READ_ONLY_WORKSPACE_PROPS,
    TENANT,
    WORKSPACE_TYPE,
    ArmBase,
    normalise_location,
    system_data,
    valid_body,
)
from reconciler.emulator.knobs import LroMode
from reconciler.emulator.state import Operation, State, WorkspaceRecord
from reconciler.emulator.wire import Request, Response, arm_error

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


class WorkspaceOperations(ArmBase):
    """The workspace handlers."""

    def get_workspace(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        record = self._workspace(sub, rg, ws)
        if record is None:
            return self._rg_missing(sub, rg) or self._not_found(WORKSPACE_TYPE, ws, rg)
        return Response(200, self._workspace_view(record, request.query.get("api-version")))

    def put_workspace(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        missing = self._rg_missing(sub, rg)
        if missing:
            return missing
        body = valid_body(request, "Workspaces_CreateOrUpdate")
        if isinstance(body, Response):
            return body
        body = contract.as_read(body, contract.workspace_fields(_version(request))[1])
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
            # Azure's words, as quoted in Azure/ResourceModules#3596 and
            # Azure/CanadaPubSecALZ#380 ("(Code:BadRequest)"), a 400 to the PUT.
            return arm_error(
                400,
                "BadRequest",
                "Soft-deleted workspace exists. Please purge or recover it. "
                "https://aka.ms/wsoftdelete",
            )
        kind = body.get("kind") or (record.body.get("kind") if record else None)
        if hubs.is_project(kind):
            # A project inherits its key vault, storage … from its hub, which must exist.
            refused = hubs.project_problem(
                body, self.state, check_hub=self.knobs.strict_dependencies
            )
        elif self.knobs.strict_dependencies:
            refused = _dependency_problem(body, creating=record is None)
        else:
            refused = None
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
        return _loosening(old, new)

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
            if k not in READ_ONLY_WORKSPACE_PROPS
        }
        previous = existing.body["properties"] if existing else {}
        props = network.provision_trigger(props, previous if existing else None)
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
            "systemData": system_data(existing.body if existing else None, now),
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
            if purge and self.state.purge(key):
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
        body = valid_body(request, "Workspaces_Update")
        if isinstance(body, Response):
            return body
        if record.operation is not None:
            return arm_error(
                409,
                "AnotherOperationInProgress",
                f"There is another operation in progress on workspace '{ws}'.",
            )
        body = contract.as_read(
            contract.without_nulls(body),
            contract.workspace_update_fields(_version(request)),
        )
        refused = _loosening(record.body, body)
        if refused:
            return refused
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
                if k not in READ_ONLY_WORKSPACE_PROPS
            }
        )
        stored["properties"] = network.provision_trigger(
            stored["properties"], record.body["properties"]
        )
        stored["systemData"] = system_data(record.body, now)
        key = State.ws_key(sub, rg, ws)
        op = self._start_operation("put", key, stored["id"], stored["location"])
        new = WorkspaceRecord(body=stored, state="Updating", operation=op.id)
        self.state.workspaces[key] = new
        if self.knobs.provisioning_seconds <= 0:
            self.state.settle(now)
        return self._lro_response(request, sub, op, new, False)

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


def _loosening(stored: dict[str, Any], given: dict[str, Any]) -> Response | None:
    """Azure refuses to loosen a managed network's isolation mode (:func:`network.loosening`)
    or to take its kind back from V2 to V1 (:func:`network.kind_going_back`)."""
    for check, field in (
        (network.kind_going_back, "managedNetworkKind"),
        (network.loosening, "isolationMode"),
    ):
        message = check(stored, given)
        if message is not None:
            target = f"properties.managedNetwork.{field}"
            return arm_error(400, "BadRequest", message, target=target)
    return None


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


def _version(request: Request) -> str:
    """The request's api-version ("" without one: the router has refused that already)."""
    return request.query.get("api-version", "")
