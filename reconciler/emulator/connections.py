"""Workspace connections as Microsoft.MachineLearningServices serves them.

Synchronous PUT (200 with the body), PATCH merging the given properties, DELETE 200 (204 when
absent), list filtered by target and category, credentials only from ``listsecrets``, and the
provider's own 404 body for a missing connection.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from reconciler.emulator import contract, shapes
from reconciler.emulator.base import (
    CALLER,
    CONNECTION_TYPE,
    ArmBase,
    system_data,
    valid_body,
    without_read_only,
)
from reconciler.emulator.state import ConnectionRecord, State
from reconciler.emulator.wire import Request, Response, arm_error

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


class ConnectionOperations(ArmBase):
    """The connection handlers."""

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
        body = valid_body(request, "WorkspaceConnections_Create")
        if isinstance(body, Response):
            return body
        body = without_read_only(contract.without_nulls(body))
        auth_type = str(body["properties"].get("authType", ""))
        version = request.query.get("api-version", "")
        body = contract.as_read(body, contract.connection_fields(version, auth_type)[1])
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
            "systemData": system_data(existing.body if existing else None, now),
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
        body = valid_body(request, "WorkspaceConnections_Update")
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
            "systemData": system_data(record.body, self.clock()),
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
