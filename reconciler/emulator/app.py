"""The emulator as one request -> response function: routing (:mod:`.routes`), ARM's
cross-cutting behaviour (authentication, api-version, names, throttling, injected faults,
request ids) and the out-of-band admin API (:mod:`.admin`).
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
from urllib.parse import unquote

from reconciler.emulator import contract
from reconciler.emulator.admin import DEFAULT_SUBSCRIPTION, AdminApi
from reconciler.emulator.arm import ArmService
from reconciler.emulator.knobs import Knobs
from reconciler.emulator.playwright import PlaywrightService, core_error
from reconciler.emulator.resources import API_VERSION as RESOURCES_API_VERSION
from reconciler.emulator.resources import ResourceGroups
from reconciler.emulator.routes import OPERATIONS, Route, Router
from reconciler.emulator.state import State
from reconciler.emulator.throttle import Throttle, kind_of
from reconciler.emulator.wire import Request, Response, arm_error

__all__ = ["DEFAULT_SUBSCRIPTION", "Emulator"]
ARM_API_VERSIONS = contract.ACCEPTED
_PLAYWRIGHT = re.compile(r"^/accounts/([^/]+)/access-tokens$")


class Emulator(AdminApi):
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
        self.rng = random.Random(self.knobs.seed or 0)
        # Fresh ids on every start (a restart with --state must not repeat them) unless seeded.
        self.ids = (
            random.Random(self.knobs.seed) if self.knobs.seed is not None else random.Random()
        )
        self.arm = ArmService(self.state, self.knobs, clock, self.rng, self.ids)
        self.playwright = PlaywrightService(self.state)
        self.resource_groups = ResourceGroups(self.state)
        self.throttle = Throttle(clock, self.knobs.throttle_scale)
        self.requests: Counter[str] = Counter()
        self.puts: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.lock = threading.RLock()
        self.router = Router(self)

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
        response.headers.setdefault("x-ms-request-id", self.arm.guid())
        response.headers["x-ms-correlation-request-id"] = (
            request.header("x-ms-correlation-request-id") or self.arm.guid()
        )
        return response

    def _handle(self, request: Request) -> Response:
        playwright = _PLAYWRIGHT.match(request.path)
        if playwright is not None:
            return self._data_plane(request, playwright.group(1))
        found = self.router.match(request.method, request.path)
        if found.route is None:
            if found.allowed:
                return arm_error(
                    405,
                    "MethodNotAllowed",
                    f"The requested method {request.method} is not allowed for "
                    f"{request.path}; allowed: {', '.join(sorted(found.allowed))}.",
                )
            return arm_error(
                404,
                "NoRegisteredProviderFound" if "/providers/" in request.path else "NotFound",
                f"The emulator does not serve {request.method} {request.path}.",
            )
        route = found.route
        self.requests[f"{request.method} {route.name}"] += 1
        refused = self._authenticate(request, False) or self._fault(request, False)
        if refused is not None:
            return refused
        # Every ARM answer from here on says what is left of its throttling bucket.
        throttled, limit_headers = self._throttle(request, found.params[0])
        response = throttled or self._arm(request, route, found.params)
        response.headers.update(limit_headers)
        if request.method == "PUT" and response.status < 300:
            self.puts[request.path.lower()] += 1
        return response

    def _data_plane(self, request: Request, account: str) -> Response:
        """Playwright Testing's access tokens: its own errors, no ARM throttle."""
        self.requests[f"{request.method} playwright.accessTokens.list"] += 1
        refused = self._authenticate(request, True) or self._fault(request, True)
        if refused is not None:
            return refused
        if request.method != "GET":
            return core_error(405, "MethodNotAllowed", "Only GET is supported.")
        return self.playwright.list_tokens(request, account)

    def _arm(self, request: Request, route: Route, raw: tuple[str, ...]) -> Response:
        version = request.query.get("api-version")
        if not version:
            return arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        resources = route.name.startswith("resourceGroup.")
        if (resources and not RESOURCES_API_VERSION.match(version)) or (
            not resources and version not in ARM_API_VERSIONS
        ):
            return arm_error(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions "
                f"are '{', '.join(ARM_API_VERSIONS)}'.",
            )
        operation = OPERATIONS.get(route.name)
        if operation is not None and not contract.has_operation(version, operation):
            return arm_error(
                400,
                "NoRegisteredProviderFound",
                f"No registered resource provider found for API version '{version}' and "
                f"operation {request.method} {request.path}.",
            )
        # Names are checked as the service sees them: percent-decoded.
        params = tuple(unquote(p) for p in raw)
        invalid = self._invalid_name(version, route.name, operation, params)
        if invalid is not None:
            return invalid
        return route.handler(request, *params)

    @staticmethod
    def _invalid_name(
        version: str, route: str, operation: str | None, params: tuple[str, ...]
    ) -> Response | None:
        names = ["subscriptionId", "resourceGroupName", "workspaceName"]
        names.append("ruleName" if route.startswith("outboundRule.") else "connectionName")
        for name, value in zip(names, params, strict=False):
            pattern = None
            if operation is not None:
                pattern = contract.path_pattern(version, operation, name) or contract.path_pattern(
                    contract.defined_versions()[-1], operation, name
                )
            elif name == "resourceGroupName":
                pattern = r"^[-\w\._\(\)]+$"
            if pattern and not (re.search(pattern, value) and len(value) <= 90):
                return arm_error(
                    400,
                    "InvalidResourceName"
                    if name != "resourceGroupName"
                    else "InvalidResourceGroupName",
                    f"The {name} '{value}' is invalid: it must match {pattern}.",
                    target=name,
                )
        return None

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
        """Take a token; every answer carries what is left of its bucket, as ARM's do. The
        buckets always count; with the ``throttle`` knob an empty one answers 429."""
        principal = hashlib.sha256((request.header("authorization") or "").encode()).hexdigest()
        kind = kind_of(request.method)
        self.throttle.scale = self.knobs.throttle_scale
        allowed, remaining, retry = self.throttle.take(principal, subscription, kind)
        headers = {f"x-ms-ratelimit-remaining-subscription-{kind}": str(remaining)}
        if allowed or not self.knobs.throttle:
            return None, headers
        return arm_error(
            429,
            "SubscriptionRequestsThrottled",
            f"Number of '{kind}' requests for subscription '{subscription}' exceeded. "
            f"Please try again after '{retry}' seconds after the last request.",
            headers={"Retry-After": str(retry), **headers},
        ), headers

    # -- admin --------------------------------------------------------------------------------

    def add_resource_group(self, name: str, subscription: str = DEFAULT_SUBSCRIPTION) -> None:
        with self.lock:
            self.state.add_resource_group(subscription, name)
