"""ARM's documented limits that the OpenAPI files do not carry, checked before any call.

Without them a manifest passes ``validate`` and fails only at ``apply``, half-way through a
run. Each rule cites where ARM documents it:

* Tags (learn.microsoft.com/azure/azure-resource-manager/management/tag-resources,
  "Limitations"): at most 50 tags; a name at most 512 characters, a value at most 256; names
  cannot contain ``< > % & \\ ? /``; names compare case-insensitively, so two names differing
  only by case are one tag declared twice.
* Resource groups (management/resource-name-rules, Microsoft.Resources): 1-90 characters, and
  the name cannot end in a period (the OpenAPI pattern admits one).
* Locations (``az account list-locations``): a region name such as ``westeurope`` (letters and
  digits) or its display name (``West Europe``); never empty.
* Connection credentials: a ServicePrincipal authenticates with client id, client secret and
  tenant id; OAuth2 needs client id and secret (its OpenAPI description says "ClientId and
  ClientSecret are required" but the schema does not list them as required).
* ``warnBeforeExpiryDays`` is ours: ten years is the most a token can live.

Pure: takes a document's data (after ``${VAR}`` substitution), returns :class:`Issue` values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.manifest.model import DEFAULTS, PLAYWRIGHT_ACCESS_TOKENS
from reconciler.manifest.yamlsource import JsonPath
from reconciler.schemas import versions

MAX_TAGS = 50
MAX_TAG_NAME = 512
MAX_TAG_VALUE = 256
TAG_NAME_FORBIDDEN = set("<>%&\\?/")
MAX_RESOURCE_GROUP = 90
MAX_WARN_DAYS = 3650
_LOCATION = re.compile(r"^[A-Za-z0-9]+(?: [A-Za-z0-9]+)*$")
# The kinds with schemas (``versions.of``), looked up in a set: that sorts them every call.
_RESOURCE_KINDS = frozenset(source.kind for source in versions.SOURCES)
REQUIRED_CREDENTIALS = {
    "ServicePrincipal": ("clientId", "clientSecret", "tenantId"),
    "OAuth2": ("clientId", "clientSecret"),
}


@dataclass(frozen=True)
class Issue:
    path: JsonPath
    message: str
    at_key: bool = False  # about a name (a tag's), not its value


def check(document: Any) -> list[Issue]:
    """Every limit ``document`` breaks (empty when none)."""
    if not isinstance(document, dict):
        return []
    kind = document.get("kind")
    spec = _mapping(document.get("spec"))
    metadata = _mapping(document.get("metadata"))
    issues: list[Issue] = []
    issues += _resource_group(metadata.get("resourceGroup"), ("metadata", "resourceGroup"))
    if kind == DEFAULTS:
        issues += _resource_group(spec.get("resourceGroup"), ("spec", "resourceGroup"))
        issues += _location(spec, ("spec",))
    elif kind == PLAYWRIGHT_ACCESS_TOKENS:
        days = spec.get("warnBeforeExpiryDays")
        if isinstance(days, int) and days > MAX_WARN_DAYS:
            issues.append(
                Issue(
                    ("spec", "warnBeforeExpiryDays"),
                    f"must be at most {MAX_WARN_DAYS} days (ten years), not {days}",
                )
            )
    elif isinstance(kind, str) and kind in _RESOURCE_KINDS:
        # Any resource kind, by what its body holds (a workspace's location and tags, a
        # connection's credentials).
        issues += _location(spec, ("spec",))
        issues += _tags(spec.get("tags"), ("spec", "tags"))
        issues += _credentials(spec.get("properties"), ("spec", "properties"))
    return issues


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _resource_group(value: Any, path: JsonPath) -> Iterator[Issue]:
    if isinstance(value, str) and value.endswith("."):
        yield Issue(path, "a resource group name cannot end with a period (ARM naming rules)")


def _location(spec: dict[str, Any], path: JsonPath) -> Iterator[Issue]:
    if "location" not in spec or not isinstance(spec["location"], str):
        return
    location = spec["location"]
    if not location.strip():
        yield Issue((*path, "location"), "must not be empty: name an Azure region, e.g. westeurope")
    elif not _LOCATION.match(location):
        yield Issue(
            (*path, "location"),
            f"{location!r} is not an Azure region name: letters and digits, e.g. westeurope "
            "(see `az account list-locations`)",
        )


def _tags(tags: Any, path: JsonPath) -> Iterator[Issue]:
    if not isinstance(tags, dict):
        return
    if len(tags) > MAX_TAGS:
        yield Issue(path, f"has {len(tags)} tags; ARM allows at most {MAX_TAGS} per resource")
    seen: dict[str, str] = {}
    for name, value in tags.items():
        where = (*path, name)
        forbidden = sorted(set(name) & TAG_NAME_FORBIDDEN)
        if not name:
            yield Issue(where, "a tag name cannot be empty", at_key=True)
        if forbidden:
            text = " ".join(forbidden)
            yield Issue(where, f"a tag name cannot contain {text} (ARM tag limits)", at_key=True)
        if len(name) > MAX_TAG_NAME:
            yield Issue(
                where, f"a tag name is at most {MAX_TAG_NAME} characters, not {len(name)}", True
            )
        if isinstance(value, str) and len(value) > MAX_TAG_VALUE:
            yield Issue(
                where, f"a tag value is at most {MAX_TAG_VALUE} characters, not {len(value)}"
            )
        first = seen.setdefault(name.lower(), name)
        if first != name:
            yield Issue(
                where, f"tag names ignore case: {name!r} and {first!r} are the same tag", True
            )


def _credentials(props: Any, path: JsonPath) -> Iterator[Issue]:
    if not isinstance(props, dict):
        return
    required = REQUIRED_CREDENTIALS.get(str(props.get("authType")))
    credentials = props.get("credentials")
    if required is None or not isinstance(credentials, dict):
        return
    for name in required:
        if name not in credentials:
            yield Issue(
                (*path, "credentials", name),
                f"is required for authType {props['authType']}: "
                f"give it by reference, e.g. {{fromEnv: NAME}}",
            )
