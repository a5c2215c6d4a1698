"""The emulator's out-of-band admin API (not part of Azure; under ``/_emulator/``, no token
needed), for tests, benchmarks and demos:

* ``GET  /_emulator/stats``            requests by route and PUT count per resource
* ``POST /_emulator/stats/reset``
* ``GET|PATCH /_emulator/knobs``       read or change realism knobs
* ``GET  /_emulator/state``            the whole state (credentials included: test use only)
* ``POST /_emulator/resourceGroups``   ``{"subscription", "name"}``: seed a resource group
* ``PATCH /_emulator/resources{armId}`` JSON merge patch of a stored resource (portal drift)
* ``PUT  /_emulator/playwright/{accountId}/tokens``  seed an account's access tokens

A malformed body is an ARM-shaped 400, never a dropped connection.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from reconciler.emulator.knobs import Knobs
from reconciler.emulator.playwright import PlaywrightService
from reconciler.emulator.state import State
from reconciler.emulator.wire import Request, Response, arm_error

DEFAULT_SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
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


class AdminApi:
    """The admin endpoints, over the emulator's state, knobs and counters."""

    state: State
    knobs: Knobs
    clock: Callable[[], float]
    playwright: PlaywrightService
    requests: Counter[str]
    puts: Counter[str]
    statuses: Counter[str]
    lock: threading.RLock

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(sorted(self.requests.items())),
                "total": sum(self.requests.values()),
                "puts": dict(sorted(self.puts.items())),
                "statuses": dict(sorted(self.statuses.items())),
            }

    def edit(self, arm_id: str, patch: dict[str, Any]) -> bool:
        """Change a stored resource out of band, as a portal user would."""
        with self.lock:
            return self._edit(arm_id, patch).status == 200

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
            if not self.playwright.valid_account(seed.group(1)):
                # Seeded, it could never be listed (the service refuses such an id).
                raise _BadAdminBody(f"{seed.group(1)!r} is not a Playwright account id")
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
