"""Which API definition each resource kind's schema is generated from, one per api-version.

A manifest document may name the api-version it is written for (``metadata.apiVersion``, or
``apiVersions`` in a Defaults document); without one it is written for its kind's default, the
seed pages' version, whose schema keeps its historical file name (``workspace.schema.json``).
Every other version's schema is ``<stem>.<api-version>.schema.json``, and in the manifest
schema ``<Kind>@<api-version>`` (``WorkspaceDocument@2025-09-01``).

This table is the generator's; the kinds registry (:mod:`reconciler.kinds`) declares the same
versions for reading, planning and applying, and a test holds the two to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JsonObj = dict[str, Any]

STABLE = "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable"


@dataclass(frozen=True)
class SchemaSource:
    """One kind's PUT body at one api-version, and the definition it is generated from."""

    kind: str  # the manifest kind ("Workspace")
    api_version: str
    spec: str  # the OpenAPI file, relative to ../shared/specs
    definition: str  # the PUT body's definition in it
    stem: str  # the schema file's stem ("workspace")
    name_parameter: str  # the path parameter whose pattern a resource's name must match
    default: bool = False  # the version a document naming none is written for

    @property
    def file(self) -> str:
        if self.default:
            return f"{self.stem}.schema.json"
        return f"{self.stem}.{self.api_version}.schema.json"

    @property
    def suffix(self) -> str:
        """What the manifest schema's definitions of this version end with."""
        return "" if self.default else f"@{self.api_version}"


def _spec(version: str, file: str) -> str:
    return f"{STABLE}/{version}/{file}"


WORKSPACE = "Workspace"
CONNECTION = "Connection"
OUTBOUND_RULE = "OutboundRule"

# The kind each kind's resources live in (its documents name one in ``metadata.workspace``);
# a kind not listed lives in a resource group.
PARENTS: dict[str, str] = {CONNECTION: WORKSPACE, OUTBOUND_RULE: WORKSPACE}
# Where a kind's body says which of its shapes it is (the definition's discriminator, under
# ``properties``): schema errors are explained against that shape only.
DISCRIMINATORS: dict[str, str] = {CONNECTION: "authType"}

SOURCES: tuple[SchemaSource, ...] = (
    SchemaSource(
        WORKSPACE,
        "2023-04-01",
        _spec("2023-04-01", "machineLearningServices.json"),
        "Workspace",
        "workspace",
        "WorkspaceNameParameter",
        default=True,
    ),
    SchemaSource(
        WORKSPACE,
        "2025-09-01",
        _spec("2025-09-01", "workspaceRP.json"),
        "Workspace",
        "workspace",
        "WorkspaceNameParameter",
    ),
    SchemaSource(
        CONNECTION,
        "2024-04-01",
        _spec("2024-04-01", "workspaceRP.json"),
        "WorkspaceConnectionPropertiesV2BasicResource",
        "connection",
        "ConnectionName",
        default=True,
    ),
    SchemaSource(
        CONNECTION,
        "2025-09-01",
        _spec("2025-09-01", "workspaceRP.json"),
        "WorkspaceConnectionPropertiesV2BasicResource",
        "connection",
        "ConnectionName",
    ),
    SchemaSource(
        OUTBOUND_RULE,
        "2025-09-01",
        _spec("2025-09-01", "workspaceRP.json"),
        "OutboundRuleBasicResource",
        "outbound-rule",
        "RuleName",
        default=True,
    ),
)


def parent_of(kind: str) -> str:
    """The kind a ``kind`` lives in; empty: a resource group."""
    return PARENTS.get(kind, "")


def of(kind: str) -> tuple[SchemaSource, ...]:
    """The schemas of one kind, its default first."""
    return tuple(sorted((s for s in SOURCES if s.kind == kind), key=lambda s: not s.default))


def default(kind: str) -> SchemaSource:
    return of(kind)[0]


def api_version_schema(kind: str) -> JsonObj:
    """A kind's ``apiVersion``: one of the versions its schemas are generated for."""
    sources = of(kind)
    return {
        "description": f"The ARM api-version this {kind} is written for (default "
        f"{sources[0].api_version}).",
        "type": "string",
        "enum": [s.api_version for s in sources],
    }


def dispatch(kind: str) -> list[JsonObj]:
    """For editors: which document schema a document of ``kind`` is checked against. One
    naming another api-version than the default's is checked against that version's; one
    naming none, the default or an unknown one against the default's (which lists them)."""
    branches = []
    for source in of(kind):
        others = [s.api_version for s in of(kind) if not s.default]
        if source.default:
            metadata: JsonObj = {"properties": {"apiVersion": {"not": {"enum": others}}}}
        else:
            metadata = {
                "required": ["apiVersion"],
                "properties": {"apiVersion": {"const": source.api_version}},
            }
        condition: JsonObj = {"properties": {"kind": {"const": kind}}, "required": ["kind"]}
        if others:
            condition["properties"]["metadata"] = metadata
        branches.append(
            {"if": condition, "then": {"$ref": f"#/$defs/{kind}Document{source.suffix}"}}
        )
    return branches
