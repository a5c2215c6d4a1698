"""Compare a declared body with the live one, guided by the generated schema.

The rules that keep a clean apply followed by a plan at "no changes" (no perpetual diffs):

* only fields the manifest declares are compared (``strict`` also reports live fields the
  manifest omits — fields the schema does not know included, since a strict PUT drops them —
  unless they are empty, read-only, the schema's default or the value the service fills in);
* an object listed in :data:`WHOLE` (``identity``) is sent as declared, not merged with live,
  so it is compared strictly: a user-assigned identity the manifest drops is a change;
* explicit nulls mean absent;
* read-only and secret fields are never compared as plain values (secrets are compared
  elsewhere, against ``listsecrets``);
* ARM resource IDs, enum values (identity types, publicNetworkAccess …), map keys (tags,
  userAssignedIdentities) compare case-insensitively; locations by normalised name;
* lists whose schema names a key (``x-reconciler-list-keys``) compare as sets by that key;
  lists of plain values compare as sets.

All of it is driven by annotations in the schema, not by field names in code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from reconciler.plan.model import FieldDiff
from reconciler.plan.server import (
    CASE_INSENSITIVE,
    KEPT_BY_SERVICE,
    SERVER_ONLY,
    empty,
    is_assumed,
    is_server_default,
)
from reconciler.schemas.node import Node as Node  # re-exported: the comparison walks it

# Objects an update sends exactly as declared (never merged with live): which members an
# identity has is decided by its type, so live leftovers would contradict it.
WHOLE = frozenset({"identity"})


def normalise_location(value: str) -> str:
    return "".join(value.split()).lower()


def _is_arm_id(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith("/subscriptions/")


def scalar_equal(desired: Any, live: Any, node: Node, key: str) -> bool:
    if (desired == "" or desired is False) and live is None:
        return True  # ARM drops (or nulls) empty strings and false flags in its answers
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live
    if isinstance(desired, int | float) and isinstance(live, int | float):
        return float(desired) == float(live)
    if isinstance(desired, str) and isinstance(live, str):
        if key == "location":
            return normalise_location(desired) == normalise_location(live)
        if _is_arm_id(desired) or node.s.get("format") == "arm-id" or "enum" in node.s:
            return desired.replace(" ", "").lower() == live.replace(" ", "").lower()
        if node.s.get("format") == "date-time":
            return _same_instant(desired, live)
        return desired == live
    return bool(desired == live)


def _same_instant(a: str, b: str) -> bool:
    """ARM may answer 2025-01-01T00:00:00Z as 2025-01-01T00:00:00.0000000+00:00."""
    try:
        first = datetime.fromisoformat(_trim_fraction(a.replace("Z", "+00:00")))
        second = datetime.fromisoformat(_trim_fraction(b.replace("Z", "+00:00")))
    except ValueError:
        return a == b
    if (first.tzinfo is None) != (second.tzinfo is None):
        first, second = first.replace(tzinfo=None), second.replace(tzinfo=None)
    return first == second


def _trim_fraction(text: str) -> str:
    """Python reads at most 6 fractional digits; .NET writes 7."""
    return re.sub(r"(\.\d{6})\d+", r"\1", text)


def _means_nothing(value: dict[str, Any]) -> bool:
    """An object that only says "none": ``{type: None}`` or ``{}``."""
    return all(v in ("None", None, {}, []) for v in value.values())


def _all_assumed(value: dict[str, Any], path: str) -> bool:
    """Every field of ``value`` is what the service assumes when it is absent."""
    return bool(value) and all(
        _all_assumed(v, _fmt(path, k)) if isinstance(v, dict) else is_assumed(_fmt(path, k), v)
        for k, v in value.items()
    )


def _fmt(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def diff(
    desired: Any,
    live: Any,
    node: Node,
    *,
    path: str = "",
    key: str = "",
    strict: bool = False,
    ignore: frozenset[str] = frozenset(),
    defaults: Mapping[str, Any] | None = None,
) -> Iterator[FieldDiff]:
    """Differences between ``desired`` and ``live`` (``live`` None means absent).

    ``ignore``: paths never compared (our own marker); ``defaults``: path -> the value the
    service fills in when the field is left out (see :mod:`reconciler.plan.writeback`).
    An ignored path is not compared even where the manifest declares it (a rule's status: the
    API takes it, the service sets it).
    """
    if path in ignore or (
        node.flag("readOnly")
        or node.flag("x-reconciler-secret")
        or node.flag("x-reconciler-secret-container")
    ):
        return
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            if live is None and (_means_nothing(desired) or _all_assumed(desired, path)):
                # identity {type: None}: ARM answers with no identity at all; a managed
                # network {isolationMode: Disabled}: ARM answers with no network at all
                return
            yield FieldDiff(path, live, desired)
            return
        yield from _diff_object(desired, live, node, path, strict, ignore, defaults or {})
    elif isinstance(desired, list):
        if not isinstance(live, list):
            if live is None and not desired:
                return  # an empty list is the same as none
            yield FieldDiff(path, live, desired)
            return
        yield from _diff_list(desired, live, node, path, strict)
    elif not scalar_equal(desired, live, node, key):
        if (
            path in CASE_INSENSITIVE
            and isinstance(desired, str)
            and isinstance(live, str)
            and desired.lower() == live.lower()
        ):
            return  # a host name: Azure may answer it lowercased
        if live is None and is_assumed(path, desired):
            return  # what the service assumes of an absent field: ARM leaves it out
        yield FieldDiff(path, live, desired)


# Scalars compared by value and type (``True`` is not ``1`` here); most of a no-op plan.
_PLAIN = frozenset({str, int, float, bool})


def _live_value(live: dict[str, Any], key: str, is_map: bool) -> Any:
    """A map's keys compare case-insensitively (ARM's tags): as written, else by case."""
    if key in live or not is_map:
        return live.get(key)
    lowered = key.lower()
    return next((v for k, v in live.items() if k.lower() == lowered), None)


def _diff_object(
    desired: dict[str, Any],
    live: dict[str, Any],
    node: Node,
    path: str,
    strict: bool,
    ignore: frozenset[str],
    defaults: Mapping[str, Any],
) -> Iterator[FieldDiff]:
    for key, value in desired.items():
        live_value = _live_value(live, key, node.is_map)
        if type(value) is type(live_value) and type(value) in _PLAIN and value == live_value:
            continue  # the same string, number or flag: no rule finds a difference there
        here = _fmt(path, key)
        yield from diff(
            value,
            live_value,
            node.child(key, desired),
            path=here,
            key=key,
            strict=strict or here in WHOLE,
            ignore=ignore,
            defaults=defaults,
        )
    if not strict:
        return
    declared = {k.lower() if node.is_map else k for k in desired}
    known = node.branch(desired).s.get("properties", {})
    for key, value in live.items():
        probe = key.lower() if node.is_map else key
        here = _fmt(path, key)
        if probe in declared or here in ignore:
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if _fmt(here, k) not in ignore}
        if empty(value) or is_server_default(defaults, here, value) or is_assumed(here, value):
            continue
        if not node.is_map and key not in known:
            if key not in SERVER_ONLY and here not in KEPT_BY_SERVICE:
                # A field of a newer api-version: a strict PUT cannot send it, so it goes.
                yield FieldDiff(here, value, None)
            continue
        child = node.child(key, desired)
        if (
            child.flag("readOnly")
            or child.flag("x-reconciler-secret")
            or child.flag("x-reconciler-secret-container")
        ):
            continue
        if "default" in child.s and child.s["default"] == value:
            continue
        if isinstance(value, dict) and not child.is_map:
            # Undeclared as a whole: only its members that are not defaults would go.
            yield from diff(
                {}, value, child, path=here, strict=True, ignore=ignore, defaults=defaults
            )
            continue
        yield FieldDiff(here, value, None)


def _key_of(item: Any, keys: list[str]) -> tuple[str, ...] | None:
    if not isinstance(item, dict) or not all(k in item for k in keys):
        return None
    return tuple(str(item[k]).lower() for k in keys)


def _diff_list(
    desired: list[Any], live: list[Any], node: Node, path: str, strict: bool
) -> Iterator[FieldDiff]:
    keys = node.s.get("x-reconciler-list-keys") or node.schema.get("x-reconciler-list-keys")
    item_node = node.items()
    if keys:
        live_by_key = {_key_of(i, keys): i for i in live}
        desired_keys = set()
        for item in desired:
            k = _key_of(item, keys)
            desired_keys.add(k)
            label = f"{path}[{','.join(f'{n}={v}' for n, v in zip(keys, k or (), strict=False))}]"
            if k not in live_by_key:
                yield FieldDiff(label, None, item)
            else:
                # The key matched case-insensitively; compare the rest.
                rest = {f: v for f, v in item.items() if f not in keys}
                matched = {f: v for f, v in live_by_key[k].items() if f not in keys}
                yield from diff(rest, matched, item_node, path=label, strict=strict)
        for k, item in live_by_key.items():
            if k not in desired_keys:
                label = (
                    f"{path}[{','.join(f'{n}={v}' for n, v in zip(keys, k or (), strict=False))}]"
                )
                yield FieldDiff(label, item, None)
        return
    if all(not isinstance(i, dict | list) for i in desired + live):
        if sorted(map(_canonical_scalar, desired)) != sorted(map(_canonical_scalar, live)):
            yield FieldDiff(path, live, desired)
        return
    if len(desired) != len(live):
        yield FieldDiff(path, live, desired)
        return
    for i, (d, lv) in enumerate(zip(desired, live, strict=True)):
        yield from diff(d, lv, item_node, path=_fmt(path, i), strict=strict)


def _canonical_scalar(value: Any) -> str:
    if isinstance(value, str) and _is_arm_id(value):
        return value.lower()
    return repr(value)


def create_only_paths(node: Node, desired: Any, path: str = "") -> set[str]:
    """Paths of create-only fields in ``desired`` (location, keyVault, storageAccount …)."""
    found: set[str] = set()
    if isinstance(desired, dict):
        for key, value in desired.items():
            child = node.child(key, desired)
            here = _fmt(path, key)
            if child.flag("x-reconciler-create-only"):
                found.add(here)
            found |= create_only_paths(child, value, here)
    return found
