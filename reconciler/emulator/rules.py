"""A workspace's managed network: its outbound rules and their provisioning."""

from __future__ import annotations

from typing import Any

from reconciler.emulator import contract
from reconciler.emulator.base import WORKSPACE_TYPE, ArmBase, valid_body
from reconciler.emulator.state import WorkspaceRecord
from reconciler.emulator.wire import Request, Response


class RuleOperations(ArmBase):
    """The outbound rule handlers."""

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
        body = valid_body(request, "ManagedNetworkSettingsRule_CreateOrUpdate")
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
