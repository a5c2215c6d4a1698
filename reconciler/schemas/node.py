"""A position in a generated schema: how every layer walks a body alongside its schema.

Comparing (:mod:`reconciler.plan.compare`), building update bodies, exporting and the kinds'
own hooks all follow a body through its schema, resolving ``$ref`` and the discriminator
branches (a connection's ``authType``) the generator writes. Pure; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any


_ANYTHING: dict[str, Any] = {}  # the schema of a value the schema says nothing about


@dataclass(frozen=True)
class Node:
    """A position in a schema document, resolving ``$ref`` and discriminator branches.

    A node resolves its schema once and keeps the nodes it leads to (its branches, children
    and items): the comparison walks the same few positions for each of thousands of
    resources. Schemas are never modified once loaded, so what was resolved stays right.
    """

    root: dict[str, Any]
    schema: dict[str, Any]

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].split("/")[-1]
            target = self.root["$defs"][name]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    @cached_property
    def s(self) -> dict[str, Any]:
        return self._resolve(self.schema)

    @cached_property
    def _led_to(self) -> dict[str | tuple[str, str], Node]:
        """The nodes this one leads to, made once: by key (a declared property), ("allOf",
        the discriminator's value, lowercased) (a branch, or this node where none is chosen),
        ("additionalProperties", "") and ("items", "")."""
        return {}

    def _node(self, step: str | tuple[str, str], schema: dict[str, Any]) -> Node:
        found = self._led_to.get(step)
        if found is None:
            found = self._led_to[step] = Node(self.root, schema)
        return found

    def branch(self, instance: Any) -> Node:
        """For a discriminated schema, the branch that ``instance`` selects."""
        s = self.s
        field_name = s.get("x-reconciler-discriminator")
        if not field_name or not isinstance(instance, dict):
            return self
        value = str(instance.get(field_name, "")).lower()
        found = self._led_to.get(("allOf", value))
        if found is None:
            found = self._led_to[("allOf", value)] = self._select(field_name, value)
        return found

    def _select(self, field_name: str, value: str) -> Node:
        for branch in self.s.get("allOf", []):
            const = branch["if"]["properties"][field_name]["const"]
            if value == const.lower():
                return Node(self.root, branch["then"])
        return self

    def child(self, key: str, instance: Any = None) -> Node:
        return self.branch(instance)._child(key)

    def _child(self, key: str) -> Node:
        found = self._led_to.get(key)
        if found is not None:
            return found
        s = self.s
        props = s.get("properties", {})
        if key in props:
            return self._node(key, props[key])
        # One node for every key of a map (tag names are not the schema's: not kept by name).
        extra = s.get("additionalProperties")
        return self._node(
            ("additionalProperties", ""), extra if isinstance(extra, dict) else _ANYTHING
        )

    def items(self) -> Node:
        return self._node(("items", ""), self.s.get("items", _ANYTHING))

    def flag(self, name: str) -> bool:
        return bool(self.schema.get(name) or self.s.get(name))

    @cached_property
    def is_map(self) -> bool:
        s = self.s
        return isinstance(s.get("additionalProperties"), dict) and not s.get("properties")
