"""A workspace's managed network: its outbound rules and their provisioning, as 2025-09-01
defines them.

A rule PUT answers 202 with a ``Location`` to poll (``final-state-via: location``), whose last
answer is the rule; a DELETE answers 202 the same way and ends in 204, or 204 at once when
there is no such rule. The rules Azure adds itself (:mod:`.network`) are listed and read beside
the user's; the emulator knows nothing of deleting them, so a DELETE of one removes nothing.
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator import contract, network
from reconciler.emulator.base import WORKSPACE_TYPE, ArmBase, valid_body
from reconciler.emulator.state import State, WorkspaceRecord
from reconciler.emulator.wire import Request, Response

RULE_TYPE = f"{WORKSPACE_TYPE}/outboundRules"
_SERVER_SET = ("status", "errorInformation", "parentRuleNames")


def rule_view(workspace: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The rule as GET shows it, or None."""
    rules = network.all_rules(workspace)
    found = _name_in(rules, name)
    if found is None:
        return None
    return {
        "id": f"{workspace['id']}/outboundRules/{found}",
        "name": found,
        "type": RULE_TYPE,
        "properties": rules[found],
    }


def _name_in(rules: dict[str, Any], name: str) -> str | None:
    return next((k for k in rules if k.lower() == name.lower()), None)


class RuleOperations(ArmBase):
    """The outbound rule handlers."""

    def _writable_rules(self, record: WorkspaceRecord) -> dict[str, Any]:
        settings = record.body["properties"].setdefault("managedNetwork", {})
        if not isinstance(settings.get("outboundRules"), dict):
            settings["outboundRules"] = {}
        rules: dict[str, Any] = settings["outboundRules"]
        return rules

    def provision_network(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        body = request.json() if request.body else {}
        spark = bool(isinstance(body, dict) and body.get("includeSpark"))
        settings = parent.body["properties"].setdefault("managedNetwork", {})
        settings["status"] = {"status": "Active", "sparkReady": spark}
        return Response(200, {"status": "Active", "sparkReady": spark})

    def list_rules(self, request: Request, sub: str, rg: str, ws: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        names = sorted(network.all_rules(parent.body))
        return self._page(request, names, lambda name: rule_view(parent.body, name) or {})

    def get_rule(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        view = rule_view(parent.body, name)
        if view is None:
            return self._not_found(RULE_TYPE, f"{ws}/{name}", rg)
        return Response(200, view)

    def put_rule(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        body = valid_body(request, "ManagedNetworkSettingsRule_CreateOrUpdate")
        if isinstance(body, Response):
            return body
        rules = self._writable_rules(parent)
        stored_name = _name_in(rules, name) or name
        given = contract.without_nulls(body)["properties"]
        rule = {k: v for k, v in given.items() if k not in _SERVER_SET}
        rules[stored_name] = {"category": "UserDefined", **rule}
        return self._rule_operation(request, (sub, rg, ws), parent, stored_name, "rule.put")

    def delete_rule(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        parent = self._parent(sub, rg, ws)
        if isinstance(parent, Response):
            return parent
        rules = network.user_rules(parent.body)
        found = _name_in(rules, name)
        if found is None:
            return Response(204)
        del rules[found]
        return self._rule_operation(request, (sub, rg, ws), parent, found, "rule.delete")

    def _rule_operation(
        self,
        request: Request,
        where: tuple[str, str, str],
        parent: WorkspaceRecord,
        name: str,
        kind: str,
    ) -> Response:
        """202 with the ``Location`` to poll and how long to wait, as the examples show."""
        sub = where[0]
        op = self._start_operation(
            kind,
            State.ws_key(*where),
            f"{parent.body['id']}/outboundRules/{name}",
            parent.body["location"],
        )
        if self.knobs.provisioning_seconds <= 0:
            self.state.settle(self.clock())
        urls = self._operation_urls(request, sub, op)
        return Response(
            202, None, {"Location": urls["Location"], "Retry-After": urls["Retry-After"]}
        )
