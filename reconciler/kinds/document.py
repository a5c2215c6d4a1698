"""Building an exported manifest document from a live body: what every kind's export shares.

Only what validates is written: read-only fields, explicit nulls, empty strings, schema
defaults and fields the api-version does not define are left out, and enum values take the
schema's spelling (ARM answers ``SystemAssigned, UserAssigned``; the schema says
``SystemAssigned,UserAssigned``). Keys follow the schema's order, so re-exporting an unchanged
resource writes an identical file.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.schemas.generate import MANIFEST_API_VERSION
from reconciler.schemas.node import Node

TOP_LEVEL_ORDER = ("location", "identity", "sku", "tags", "properties")


def env_name(*parts: str) -> str:
    """RG-agnostic, readable variable names: WORKSPACE_CONNECTION_FIELD, upper snake case."""
    text = "_".join(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", p) for p in parts)
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper()


def _canonical(value: str, node: Node) -> str:
    """An enum value in the schema's spelling (ARM's answers vary in case and spacing)."""
    for member in node.s.get("enum") or ():
        if (
            isinstance(member, str)
            and member.replace(" ", "").lower() == value.replace(" ", "").lower()
        ):
            return member
    return value


def clean(value: Any, node: Node, *, as_map_value: bool = False) -> Any:
    """Drop read-only and unknown fields, nulls, empty strings, schema defaults and empty
    containers; spell enum values as the schema does; order keys by schema."""
    if isinstance(value, dict):
        schema = node.branch(value).s
        order = list(schema.get("properties", {}))
        keys = sorted(value, key=lambda k: (order.index(k) if k in order else len(order), k))
        out = CommentedMap()
        for key in keys:
            if not node.is_map and key not in order:
                continue  # not in this api-version: validate would reject it
            child = node.child(key, value)
            if child.flag("readOnly"):
                continue
            cleaned = clean(value[key], child, as_map_value=node.is_map)
            if cleaned is None:
                continue
            if "default" in child.s and child.s["default"] == cleaned:
                continue
            out[key] = cleaned
        if not out and not as_map_value:
            return None
        return out
    if isinstance(value, list):
        items = [clean(v, node.items()) for v in value]
        kept = [i for i in items if i is not None]
        return CommentedSeq(kept) if kept else None
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return _canonical(value, node)
    return value


def order_top(spec: CommentedMap) -> CommentedMap:
    """Top-level keys in the order a reader expects (location, identity, … properties)."""
    out = CommentedMap()
    for key in [k for k in TOP_LEVEL_ORDER if k in spec] + [
        k for k in spec if k not in TOP_LEVEL_ORDER
    ]:
        out[key] = spec[key]
    return out


def scope(body: dict[str, Any]) -> tuple[str, str]:
    """The subscription and resource group of a live resource, from its id."""
    parts = str(body.get("id", "")).split("/")
    lowered = [p.lower() for p in parts]
    sub = parts[lowered.index("subscriptions") + 1]
    rg = parts[lowered.index("resourcegroups") + 1]
    return sub, rg


def reference(name: str) -> CommentedMap:
    """``{fromEnv: NAME}`` on one line: where an exported secret's value is to come from."""
    ref = CommentedMap([("fromEnv", name)])
    ref.fa.set_flow_style()
    return ref


def document(kind: str, metadata: list[tuple[str, Any]], spec: CommentedMap) -> CommentedMap:
    """A manifest document: apiVersion, kind, metadata, spec, in that order."""
    doc = CommentedMap()
    doc["apiVersion"] = MANIFEST_API_VERSION
    doc["kind"] = kind
    doc["metadata"] = CommentedMap(metadata)
    doc["spec"] = spec
    return doc
