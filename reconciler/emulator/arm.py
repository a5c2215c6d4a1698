"""Microsoft.MachineLearningServices as ARM serves it: one service made of its resource types
(workspaces, connections, outbound rules) and the operation-status endpoints they share.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from reconciler.emulator.base import PROVIDER
from reconciler.emulator.connections import ConnectionOperations
from reconciler.emulator.rules import RuleOperations, rule_view
from reconciler.emulator.state import Operation
from reconciler.emulator.wire import Request, Response, arm_error
from reconciler.emulator.workspaces import WorkspaceOperations

__all__ = ["PROVIDER", "ArmService"]


class ArmService(WorkspaceOperations, ConnectionOperations, RuleOperations):
    """Every handler the routes call."""

    def list_by_subscription(self, request: Request, sub: str) -> Response:
        return self.list_workspaces(request, sub, None)

    def async_status(self, request: Request, sub: str, location: str, op_id: str) -> Response:
        """``Azure-AsyncOperation``: the operation's status body, always 200."""
        return self.operation_status(request, op_id, False)

    def location_status(self, request: Request, sub: str, location: str, op_id: str) -> Response:
        """``Location``: 202 while running, then the final answer (the resource, 204, an error)."""
        return self.operation_status(request, op_id, True)

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
                return self._final_answer(op, request.query.get("api-version"))
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

    def _final_answer(self, op: Operation, version: str | None) -> Response:
        """What the last poll of a finished operation's ``Location`` answers: the resource it
        wrote, or 204 for a DELETE."""
        if op.kind in ("delete", "rule.delete"):
            return Response(204)
        record = self.state.workspaces.get(op.resource_key)
        if record is None:
            return Response(200, None)
        if op.kind == "rule.put":
            return Response(200, rule_view(record.body, op.resource_id.rsplit("/", 1)[-1]))
        return Response(200, self._workspace_view(record, version))
