"""The emulator as one request -> response function: routing, ARM's cross-cutting behaviour
(authentication, api-version, throttling, injected faults) and the out-of-band admin API.

Admin API (not part of Azure; under ``/_emulator/``, no token needed):

* ``GET  /_emulator/stats``            requests by route and PUT count per resource
* ``POST /_emulator/stats/reset``
* ``GET|PATCH /_emulator/knobs``       read or change realism knobs
* ``GET  /_emulator/state``            the whole state (credentials included: test use only)
* ``POST /_emulator/resourceGroups``   ``{"subscription", "name"}``: seed a resource group
* ``PATCH /_emulator/resources{armId}`` JSON merge patch of a stored resource (portal drift)
* ``PUT  /_emulator/playwright/{accountId}/tokens``  seed an account's access tokens
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.emulator import contract
from reconciler.emulator.arm import PROVIDER, ArmService
from reconciler.emulator.knobs import Knobs
from reconciler.emulator.playwright import PlaywrightService, core_error
from reconciler.emulator.state import State
from reconciler.emulator.throttle import Throttle
from reconciler.emulator.wire import Request, Response, arm_error

ARM_API_VERSIONS = contract.ACCEPTED
# The spec's operation behind each route: an api-version without it does not serve the route.
OPERATIONS = {
    "workspace.get": "Workspaces_Get",
    "workspace.put": "Workspaces_CreateOrUpdate",
    "workspace.patch": "Workspaces_Update",
    "workspace.delete": "Workspaces_Delete",
    "workspace.list": "Workspaces_ListByResourceGroup",
    "workspace.listBySubscription": "Workspaces_ListBySubscription",
    "workspace.listNotebookAccessToken": "Workspaces_ListNotebookAccessToken",
    "connection.get": "WorkspaceConnections_Get",
    "connection.put": "WorkspaceConnections_Create",
    "connection.patch": "WorkspaceConnections_Update",
    "connection.delete": "WorkspaceConnections_Delete",
    "connection.list": "WorkspaceConnections_List",
    "connection.listsecrets": "WorkspaceConnections_ListSecrets",
    "outboundRule.get": "ManagedNetworkSettingsRule_Get",
    "outboundRule.put": "ManagedNetworkSettingsRule_CreateOrUpdate",
    "outboundRule.delete": "ManagedNetworkSettingsRule_Delete",
    "outboundRule.list": "ManagedNetworkSettingsRule_List",
}
DEFAULT_SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"

_SEG = r"([^/]+)"
_RG = rf"/subscriptions/{_SEG}/resourceGroups/{_SEG}"
_WS = rf"{_RG}/providers/{PROVIDER}/workspaces/{_SEG}"

Handler = Callable[..., Response]
_WORKSPACE_ID = ["subscriptions", "resourcegroups", "providers", "workspaces"]


class _BadAdminBody(ValueError):
    """An admin request whose body is not what the endpoint takes."""


def _admin_json(request: Request, kind: type) -> Any:
    try:
        body = request.json()
    except (ValueError, RecursionError):
        raise _BadAdminBody("the request body is not valid JSON") from None
    if not isinstance(body, kind):
        raise _BadAdminBody(f"the request body must be a JSON {kind.__name__}")
    return body


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out


class Emulator:
    """Emulated Azure ML management plane and Playwright Testing access-token API."""

    def __init__(
        self,
        *,
        knobs: Knobs | None = None,
        state: State | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        state_file: Path | None = None,
        resource_groups: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.knobs = knobs or Knobs()
        self.clock = clock
        self.sleep = sleep
        self.state_file = state_file
        if state is None and state_file is not None and state_file.exists():
            state = State.read(state_file)
        self.state = state or State()
        for sub, rg in resource_groups:
            self.state.add_resource_group(sub, rg)
        self.rng = random.Random(self.knobs.seed)
        self.arm = ArmService(self.state, self.knobs, clock, self.rng)
        self.playwright = PlaywrightService(self.state)
        self.throttle = Throttle(clock, self.knobs.throttle_scale)
        self.requests: Counter[str] = Counter()
        self.puts: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.lock = threading.RLock()
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = [
            ("GET", re.compile(rf"^{_WS}$", re.I), "workspace.get", self.arm.get_workspace),
            ("PUT", re.compile(rf"^{_WS}$", re.I), "workspace.put", self.arm.put_workspace),
            (
                "DELETE",
                re.compile(rf"^{_WS}$", re.I),
                "workspace.delete",
                self.arm.delete_workspace,
            ),
            (
                "GET",
                re.compile(rf"^{_RG}/providers/{PROVIDER}/workspaces$", re.I),
                "workspace.list",
                self.arm.list_workspaces,
            ),
            (
                "GET",
                re.compile(rf"^/subscriptions/{_SEG}/providers/{PROVIDER}/workspaces$", re.I),
                "workspace.listBySubscription",
                lambda req, sub: self.arm.list_workspaces(req, sub, None),
            ),
            (
                "POST",
                re.compile(rf"^{_WS}/listNotebookAccessToken$", re.I),
                "workspace.listNotebookAccessToken",
                self.arm.notebook_token,
            ),
            (
                "GET",
                re.compile(rf"^{_WS}/connections/{_SEG}$", re.I),
                "connection.get",
                self.arm.get_connection,
            ),
            (
                "PUT",
                re.compile(rf"^{_WS}/connections/{_SEG}$", re.I),
                "connection.put",
                self.arm.put_connection,
            ),
            (
                "DELETE",
                re.compile(rf"^{_WS}/connections/{_SEG}$", re.I),
                "connection.delete",
                self.arm.delete_connection,
            ),
            (
                "GET",
                re.compile(rf"^{_WS}/connections$", re.I),
                "connection.list",
                self.arm.list_connections,
            ),
            (
                "POST",
                re.compile(rf"^{_WS}/connections/{_SEG}/listsecrets$", re.I),
                "connection.listsecrets",
                self.arm.list_secrets,
            ),
            (
                "GET",
                re.compile(
                    rf"^/subscriptions/{_SEG}/providers/{PROVIDER}/locations/{_SEG}/"
                    rf"mlworkspaceOperationsStatus/{_SEG}$",
                    re.I,
                ),
                "operation.asyncStatus",
                lambda req, sub, loc, op: self.arm.operation_status(req, op, False),
            ),
            (
                "GET",
                re.compile(
                    rf"^/subscriptions/{_SEG}/providers/{PROVIDER}/locations/{_SEG}/"
                    rf"workspaceOperationsStatus/{_SEG}$",
                    re.I,
                ),
                "operation.location",
                lambda req, sub, loc, op: self.arm.operation_status(req, op, True),
            ),
        ]
        self._playwright_route = re.compile(r"^/accounts/([^/]+)/access-tokens$")

    # -- entry point ----------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_emulator/"):
            with self.lock:
                return self._admin(request)
        with self.lock:
            response = self._handle(request)
            if self.state_file is not None and request.method != "GET":
                self.state.save(self.state_file)
        self.statuses[str(response.status)] += 1
        request_id = request.header("x-ms-client-request-id")
        if request_id:
            response.headers["x-ms-client-request-id"] = request_id
        response.headers.setdefault("x-ms-request-id", str(self.rng.getrandbits(64)))
        return response

    def _handle(self, request: Request) -> Response:
        playwright = self._playwright_route.match(request.path)
        route = None
        params: tuple[str, ...] = ()
        if playwright is None:
            route, params, allowed = self._route(request)
            if route is None:
                if allowed:
                    return arm_error(
                        405,
                        "MethodNotAllowed",
                        (
                            f"The requested method {request.method} is not allowed for "
                            f"{request.path}; allowed: {', '.join(sorted(allowed))}."
                        ),
                    )
                return arm_error(
                    404,
                    "NoRegisteredProviderFound" if "/providers/" in request.path else "NotFound",
                    f"The emulator does not serve {request.method} {request.path}.",
                )
        name = "playwright.accessTokens.list" if playwright else (route or "")
        self.requests[f"{request.method} {name}"] += 1
        denied = self._authenticate(request, playwright is not None)
        if denied is not None:
            return denied
        fault = self._fault(request, playwright is not None)
        if fault is not None:
            return fault
        if playwright is not None:
            if request.method != "GET":
                return core_error(405, "MethodNotAllowed", "Only GET is supported.")
            return self.playwright.list_tokens(request, playwright.group(1))
        version = request.query.get("api-version")
        if not version:
            return arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if version not in ARM_API_VERSIONS:
            return arm_error(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions "
                f"are '{', '.join(ARM_API_VERSIONS)}'.",
            )
        operation = OPERATIONS.get(route or "")
        if operation is not None and not contract.has_operation(version, operation):
            return arm_error(
                400,
                "NoRegisteredProviderFound",
                f"No registered resource provider found for API version '{version}' and "
                f"operation {request.method} {request.path}.",
            )
        throttled, limit_headers = self._throttle(request, params[0])
        if throttled is not None:
            return throttled
        handler = self._handler(request.method, route or "")
        response = handler(request, *params)
        response.headers.update(limit_headers)
        if request.method == "PUT" and response.status < 300:
            self.puts[request.path.lower()] += 1
        return response

    def _route(self, request: Request) -> tuple[str | None, tuple[str, ...], set[str]]:
        allowed: set[str] = set()
        for method, pattern, name, _ in self.routes:
            match = pattern.match(request.path)
            if match is None:
                continue
            if method == request.method:
                return name, match.groups(), allowed
            allowed.add(method)
        return None, (), allowed

    def _handler(self, method: str, name: str) -> Handler:
        return next(h for m, _, n, h in self.routes if m == method and n == name)

    def _authenticate(self, request: Request, data_plane: bool) -> Response | None:
        auth = request.header("authorization") or ""
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            if self.knobs.expire_tokens <= 0:
                return None
            self.knobs.expire_tokens -= 1
            expired = arm_error(
                401,
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
            )
            if data_plane:
                expired.headers["x-ms-error-code"] = "ExpiredAuthenticationToken"
            return expired
        headers = {
            "WWW-Authenticate": 'Bearer authorization_uri="https://login.microsoftonline'
            '.com/common", error="invalid_token"'
        }
        if data_plane:
            response = core_error(401, "Unauthorized", "A bearer token is required.")
            response.headers.update(headers)
            return response
        return arm_error(
            401,
            "AuthenticationFailed" if not auth else "InvalidAuthenticationToken",
            "Authentication failed. The 'Authorization' header is missing."
            if not auth
            else "The access token is invalid.",
            headers=headers,
        )

    def _fault(self, request: Request, data_plane: bool) -> Response | None:
        k = self.knobs
        if k.drop_rate and self.rng.random() < k.drop_rate:
            return Response(0, drop_connection=True)
        draw = self.rng.random()
        if draw < k.error_500_rate:
            return arm_error(
                500, "InternalServerError", "An internal error occurred (injected fault)."
            )
        if draw < k.error_500_rate + k.error_503_rate:
            return arm_error(
                503,
                "ServiceUnavailable",
                "The service is temporarily unavailable (injected fault).",
                headers={"Retry-After": "1"},
            )
        return None

    def _throttle(
        self, request: Request, subscription: str
    ) -> tuple[Response | None, dict[str, str]]:
        """Take a token; every answer carries the remaining count, as ARM's do."""
        if not self.knobs.throttle:
            return None, {}
        principal = hashlib.sha256((request.header("authorization") or "").encode()).hexdigest()
        write = request.method in ("PUT", "DELETE", "POST", "PATCH")
        self.throttle.scale = self.knobs.throttle_scale
        allowed, remaining, retry = self.throttle.take(principal, subscription, write)
        headers = {
            f"x-ms-ratelimit-remaining-subscription-{'writes' if write else 'reads'}": str(
                remaining
            )
        }
        if allowed:
            return None, headers
        return arm_error(
            429,
            "TooManyRequests",
            f"The request was throttled; retry after {retry} seconds.",
            headers={"Retry-After": str(retry), **headers},
        ), headers

    # -- admin --------------------------------------------------------------------------------
    def _admin(self, request: Request) -> Response:
        try:
            return self._admin_route(request)
        except _BadAdminBody as exc:
            return arm_error(400, "InvalidRequestContent", str(exc))

    def _admin_route(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path == "/_emulator/stats" and method == "GET":
            return Response(200, self.stats())
        if path == "/_emulator/stats/reset" and method == "POST":
            self.requests.clear()
            self.puts.clear()
            self.statuses.clear()
            return Response(204)
        if path == "/_emulator/knobs":
            if method == "PATCH":
                try:
                    self.knobs.update(_admin_json(request, dict))
                except ValueError as exc:
                    return arm_error(400, "InvalidKnob", str(exc))
            return Response(200, self.knobs.as_dict())
        if path == "/_emulator/state" and method == "GET":
            self.state.settle(self.clock())
            return Response(200, self.state.snapshot())
        if path == "/_emulator/resourceGroups" and method == "POST":
            body = _admin_json(request, dict)
            name, subscription = body.get("name"), body.get("subscription", DEFAULT_SUBSCRIPTION)
            if not isinstance(name, str) or not name or not isinstance(subscription, str):
                raise _BadAdminBody('expected {"name": "<resource group>", "subscription": "<id>"}')
            self.state.add_resource_group(subscription, name)
            return Response(201, body)
        if path.startswith("/_emulator/resources/") and method == "PATCH":
            return self._edit(path.removeprefix("/_emulator/resources"), _admin_json(request, dict))
        seed = re.match(r"^/_emulator/playwright/([^/]+)/tokens$", path)
        if seed and method == "PUT":
            tokens = _admin_json(request, list)
            required = ("id", "name", "createdAt", "expiryAt")
            if not all(
                isinstance(t, dict) and all(isinstance(t.get(k), str) for k in required)
                for t in tokens
            ):
                raise _BadAdminBody(f"expected a list of tokens with string {', '.join(required)}")
            self.playwright.seed(seed.group(1), tokens)
            return Response(204)
        return arm_error(404, "NotFound", f"No emulator admin endpoint {method} {path}.")

    def edit(self, arm_id: str, patch: dict[str, Any]) -> bool:
        """Change a stored resource out of band, as a portal user would."""
        with self.lock:
            return self._edit(arm_id, patch).status == 200

    def _edit(self, arm_id: str, patch: Any) -> Response:
        self.state.settle(self.clock())
        parts = [p for p in arm_id.split("/") if p]
        lowered = [p.lower() for p in parts]
        kinds = [lowered[i] for i in range(0, len(parts), 2)]
        if kinds not in (_WORKSPACE_ID, [*_WORKSPACE_ID, "connections"]):
            return arm_error(400, "InvalidResourceId", f"Not a workspace resource id: {arm_id}")
        sub, rg, ws = parts[1], parts[3], parts[7]
        if not isinstance(patch, dict) or not isinstance(patch.get("properties", {}), dict):
            return arm_error(400, "InvalidRequestContent", "A merge patch is a JSON object.")
        if len(parts) == 10:
            record = self.state.connections.get(State.conn_key(sub, rg, ws, parts[9]))
            if record is None:
                return arm_error(404, "ResourceNotFound", arm_id)
            credentials = dict(patch.get("properties") or {}).pop("credentials", None)
            patch = {
                **patch,
                "properties": {
                    k: v for k, v in (patch.get("properties") or {}).items() if k != "credentials"
                },
            }
            if credentials is not None:
                record.credentials = _merge_patch(record.credentials or {}, credentials)
            record.body = _merge_patch(record.body, patch)
            return Response(200, record.body)
        workspace = self.state.workspaces.get(State.ws_key(sub, rg, ws))
        if workspace is None:
            return arm_error(404, "ResourceNotFound", arm_id)
        workspace.body = _merge_patch(workspace.body, patch)
        return Response(200, workspace.body)

    def add_resource_group(self, name: str, subscription: str = DEFAULT_SUBSCRIPTION) -> None:
        with self.lock:
            self.state.add_resource_group(subscription, name)

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(sorted(self.requests.items())),
                "total": sum(self.requests.values()),
                "puts": dict(sorted(self.puts.items())),
                "statuses": dict(sorted(self.statuses.items())),
            }
