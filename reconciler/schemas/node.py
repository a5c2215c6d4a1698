"""A position in a generated schema: how every layer walks a body alongside its schema.

Comparing (:mod:`reconciler.plan.compare`), building update bodies, exporting and the kinds'
own hooks all follow a body through its schema, resolving ``$ref`` and the discriminator
branches (a connection's ``authType``) the generator writes. Pure; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Node:
    """A position in a schema document, resolving ``$ref`` and discriminator branches."""

    root: dict[str, Any]
    schema: dict[str, Any]

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].split("/")[-1]
            target = self.root["$defs"][name]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    @property
    def s(self) -> dict[str, Any]:
        return self._resolve(self.schema)

    def branch(self, instance: Any) -> Node:
        """For a discriminated schema, the branch that ``instance`` selects."""
        s = self.s
        field_name = s.get("x-reconciler-discriminator")
        if field_name and isinstance(instance, dict):
            for branch in s.get("allOf", []):
                const = branch["if"]["properties"][field_name]["const"]
                if str(instance.get(field_name, "")).lower() == const.lower():
                    return Node(self.root, branch["then"])
        return self

    def child(self, key: str, instance: Any = None) -> Node:
        s = self.branch(instance).s
        props = s.get("properties", {})
        if key in props:
            return Node(self.root, props[key])
        extra = s.get("additionalProperties")
        return Node(self.root, extra if isinstance(extra, dict) else {})

    def items(self) -> Node:
        return Node(self.root, self.s.get("items", {}))

    def flag(self, name: str) -> bool:
        return bool(self.schema.get(name) or self.s.get(name))

    @property
    def is_map(self) -> bool:
        s = self.s
        return isinstance(s.get("additionalProperties"), dict) and not s.get("properties")
