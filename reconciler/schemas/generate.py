"""Generate the JSON Schemas in ``schemas/`` from the OpenAPI files in ``../shared/specs``.

``reconciler schemas generate`` writes them, with the plan's schema
(:mod:`reconciler.plan.jsonschema`) beside them: the command composes the two, so that this
module, which the manifest loader and the planner sit on, imports neither. The output is
deterministic so that a test can regenerate it and compare with what is committed.

What is derived here rather than copied from the spec, and why:

* **create-only** (``x-reconciler-create-only``): the spec has no ``x-ms-mutability`` for
  workspace properties, but its descriptions say "cannot be changed once the workspace has
  been created"; ARM never moves a resource between locations, so ``location`` is create-only.
* **secrets** (``x-reconciler-secret``): ``x-ms-secret`` is applied unevenly in the spec
  (``ApiKey.key``, ``pat``, ``sas``, ``password`` lack it), so every field under a
  connection's ``credentials`` is a secret. In a manifest a secret is a reference
  (``{fromEnv: NAME}`` or ``{fromFile: PATH}``), never a literal committed to git.
* **name patterns** come from the path parameters (``workspaceName``, ``connectionName``,
  ``resourceGroupName``, ``accountId``); the unanchored ``accountId`` pattern is anchored.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from reconciler.schemas import versions
from reconciler.schemas.common import COMMAND as COMMAND
from reconciler.schemas.common import DRAFT as DRAFT
from reconciler.schemas.common import NAME_MARK
from reconciler.schemas.common import header as header
from reconciler.schemas.openapi import JsonObj, SpecSet, Translator
from reconciler.schemas.playwright import PLAYWRIGHT_SPEC, playwright_schema
from reconciler.schemas.versions import SchemaSource

MANIFEST_API_VERSION = "reconciler/v1"
# A workspace's kinds, as the Azure ML documentation names them (the definition says "string").
WORKSPACE_KINDS = ("Default", "Hub", "Project", "FeatureStore")
# What `outputs:` of a Workspace may ask apply to show (read from the workspace after apply).
WORKSPACE_OUTPUTS = ("notebookEndpoint", "mlFlowTrackingUri", "discoveryUrl", "workspaceId")
OWNER_PATTERN = "^[a-z0-9][a-z0-9._-]{0,62}$"

WORKSPACE_SPEC = versions.default(versions.WORKSPACE).spec
CONNECTION_SPEC = versions.default(versions.CONNECTION).spec
TYPES_SPEC = "common-types/resource-management/v3/types.json"

_CREATE_ONLY_TEXT = re.compile(r"cannot be changed once the \w+ has been created", re.IGNORECASE)

SECRET_REF: JsonObj = {
    "description": "A reference to a secret kept outside the manifest.",
    "type": "object",
    "properties": {
        "fromEnv": {
            "description": "Name of an environment variable holding the value.",
            "type": "string",
            "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
        },
        "fromFile": {
            "description": "Path of a file holding the value (relative to the manifest).",
            "type": "string",
            "minLength": 1,
        },
    },
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
}


def default_specs_dir() -> Path:
    return Path(__file__).resolve().parents[2].parent / "shared" / "specs"


def default_out_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "schemas"


# A resource name where its path parameter states no pattern: one path segment, without the
# characters ARM refuses in any resource name.
SEGMENT_PATTERN = r"^[^<>*%&:\\?/#+]+$"


def _param(specs: SpecSet, spec_path: Path, name: str) -> JsonObj:
    param = dict(specs.load(spec_path)["parameters"][name])
    return {"pattern": SEGMENT_PATTERN, **param}


def _mark_create_only(schema: JsonObj) -> None:
    for prop in schema.get("properties", {}).values():
        if _CREATE_ONLY_TEXT.search(prop.get("description", "")):
            prop["x-reconciler-create-only"] = True


def _secret_field(description: str | None) -> JsonObj:
    out: JsonObj = {
        "x-reconciler-secret": True,
        "anyOf": [{"$ref": "#/$defs/SecretRef"}, {"type": "string"}],
    }
    if description:
        out["description"] = description
    return out


def _secretize(schema: JsonObj) -> JsonObj:
    """Make every string under a ``credentials`` object a secret reference."""
    if schema.get("type") == "string" and "$ref" not in schema:
        return _secret_field(schema.get("description"))
    out = dict(schema)
    if "properties" in out:
        out["properties"] = {k: _secretize(v) for k, v in out["properties"].items()}
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = _secretize(out["additionalProperties"])
    return out


def _branch_names(polymorphic: JsonObj) -> list[str]:
    return [branch["then"]["$ref"].split("/")[-1] for branch in polymorphic["allOf"]]


def workspace_schema(specs: SpecSet, root: Path, source: SchemaSource | None = None) -> JsonObj:
    source = source or versions.default(versions.WORKSPACE)
    spec_path = root / source.spec
    tr = Translator(specs)
    workspace = specs.load(spec_path)["definitions"][source.definition]
    body = tr.node(workspace, spec_path)
    props_ref = body["properties"]["properties"]["$ref"].split("/")[-1]
    _mark_create_only(tr.defs[props_ref])
    body["properties"]["location"]["x-reconciler-create-only"] = True
    if "kind" in body["properties"]:
        # 2025-09-01 and later: a workspace's kind is fixed at creation (a Hub stays a Hub);
        # the definition types it as a string, its documentation names the four kinds.
        body["properties"]["kind"].update(
            {"enum": list(WORKSPACE_KINDS), "x-reconciler-create-only": True}
        )
    hub = tr.defs[props_ref].get("properties", {}).get("hubResourceId")
    if hub is not None:
        # A project belongs to the hub it was created in: azurerm's azurerm_ai_foundry_project
        # makes ai_services_hub_id ForceNew; moving a project to another hub is a new project.
        hub["x-reconciler-create-only"] = True
    title = f"Workspace (PUT body, api-version {source.api_version})"
    return {**header(title, [source.spec]), **body, "$defs": dict(sorted(tr.defs.items()))}


def connection_schema(specs: SpecSet, root: Path, source: SchemaSource | None = None) -> JsonObj:
    source = source or versions.default(versions.CONNECTION)
    spec_path = root / source.spec
    tr = Translator(specs)
    resource = specs.load(spec_path)["definitions"][source.definition]
    body = tr.node(resource, spec_path)
    for name, definition in list(tr.defs.items()):
        creds = definition.get("properties", {}).get("credentials")
        if creds is None:
            continue
        target = creds["$ref"].split("/")[-1]
        tr.defs[target] = _secretize(tr.defs[target])
        tr.defs[name]["properties"]["credentials"]["x-reconciler-secret-container"] = True
    # `value` is where the v1 connection format kept the credential itself.
    base = tr.defs["WorkspaceConnectionPropertiesV2"]
    for definition in [base, *(tr.defs[n] for n in _branch_names(base))]:
        if "value" in definition["properties"]:
            definition["properties"]["value"] = _secret_field(
                definition["properties"]["value"].get("description")
            )
    tr.defs["SecretRef"] = copy.deepcopy(SECRET_REF)
    title = f"Workspace connection (PUT body, api-version {source.api_version})"
    return {**header(title, [source.spec]), **body, "$defs": dict(sorted(tr.defs.items()))}


def plain_schema(specs: SpecSet, root: Path, source: SchemaSource) -> JsonObj:
    """A PUT body as the API defines it, for a kind that needs no annotation of its own."""
    spec_path = root / source.spec
    tr = Translator(specs)
    body = tr.node(specs.load(spec_path)["definitions"][source.definition], spec_path)
    title = f"{source.kind} (PUT body, api-version {source.api_version})"
    return {**header(title, [source.spec]), **body, "$defs": dict(sorted(tr.defs.items()))}


# The schema of each kind's PUT body, by the kind's name (plain_schema for any other).
RESOURCE_SCHEMAS = {versions.WORKSPACE: workspace_schema, versions.CONNECTION: connection_schema}


def _metadata(
    name_param: JsonObj, extra: JsonObj, subscription: JsonObj, rg: JsonObj, api: JsonObj
) -> JsonObj:
    """Where the resource lives, and the api-version it is written for; subscription and
    resourceGroup (and the api-version) may come from Defaults."""
    props: JsonObj = {
        "name": {
            "description": name_param.get("description", ""),
            "type": "string",
            "pattern": name_param["pattern"],
            NAME_MARK: True,
        },
        "subscription": subscription,
        "resourceGroup": rg,
        **extra,
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "apiVersion": api,
    }
    return {
        "type": "object",
        "required": ["name", *extra],
        "properties": props,
        "additionalProperties": False,
    }


def _document(kind: str, metadata: JsonObj, spec_ref: str) -> JsonObj:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": MANIFEST_API_VERSION},
            "kind": {"const": kind},
            "metadata": metadata,
            "spec": {"$ref": spec_ref},
        },
        "additionalProperties": False,
    }


_SUBSTITUTION = r".*\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}.*"


def _allow_substitution(schema: Any) -> None:
    """Let pattern-checked fields hold ``${VAR}``: editors see the raw text, and `validate`
    checks the value after substitution, where the original pattern still applies.

    Names (``NAME_MARK``: resource names, workspace, subscription, resource group, account id)
    are not widened: they become URL path segments, so the documented pattern is the only one,
    for editors and for `validate` alike (a widened pattern once let ``$${X}`` and ``../``
    through).
    """
    if isinstance(schema, dict):
        pattern = schema.get("pattern")
        widen = not schema.get(NAME_MARK)
        if widen and isinstance(pattern, str) and not pattern.startswith("^(?:(?:"):
            inner = pattern.removeprefix("^").removesuffix("$")
            schema["pattern"] = f"^(?:(?:{inner})|{_SUBSTITUTION})$"
            schema["x-reconciler-pattern"] = pattern  # for error messages
        for value in schema.values():
            _allow_substitution(value)
    elif isinstance(schema, list):
        for value in schema:
            _allow_substitution(value)


def _embed(prefix: str, schema: JsonObj, defs: JsonObj) -> str:
    """Move a standalone schema under ``$defs`` of the manifest schema, renaming its refs."""
    body = {
        k: v
        for k, v in schema.items()
        if not k.startswith("$") and k not in ("title", "x-reconciler-generated-from")
    }
    inner = schema.get("$defs", {})
    text = json.dumps(body)
    for name in inner:
        text = text.replace(f'"#/$defs/{name}"', f'"#/$defs/{prefix}.{name}"')
    defs[prefix] = json.loads(text)
    for name, definition in inner.items():
        renamed = json.dumps(definition)
        for other in inner:
            renamed = renamed.replace(f'"#/$defs/{other}"', f'"#/$defs/{prefix}.{other}"')
        defs[f"{prefix}.{name}"] = json.loads(renamed)
    return f"#/$defs/{prefix}"


def _names(specs: SpecSet, root: Path) -> dict[str, JsonObj]:
    """The name schemas of a manifest's metadata, from the API's path parameters."""
    ml = root / CONNECTION_SPEC
    types = root / TYPES_SPEC
    rg_param = _param(specs, types, "ResourceGroupNameParameter")
    sub_param = _param(specs, types, "SubscriptionIdParameter")
    subscription: JsonObj = {
        "description": sub_param["description"],
        "type": "string",
        "pattern": "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$",
    }
    rg: JsonObj = {k: rg_param[k] for k in ("description", "pattern", "minLength", "maxLength")}
    rg["type"] = "string"
    # ARM's "can't end in period" (which also refuses '.' and '..') is checked in
    # reconciler/manifest/armlimits.py, with its own message.
    return {
        "workspace": _param(specs, ml, "WorkspaceNameParameter"),
        "connection": _param(specs, ml, "ConnectionName"),
        "subscription": subscription,
        "resourceGroup": rg,
    }


def _hub(workspace: JsonObj) -> JsonObj:
    """``metadata.hub`` of a Workspace document: the Hub a Project belongs to, declared in
    the same manifests (reconciler.manifest.hubs)."""
    return {
        "hub": {
            "description": "Name of the workspace of kind Hub this Project belongs to, "
            "declared in these manifests in the same subscription and resource group (apply "
            "writes it first and fills properties.hubResourceId with its id).",
            "type": "string",
            "pattern": workspace["pattern"],
            NAME_MARK: True,
        }
    }


def _name_and_parent(
    specs: SpecSet, root: Path, names: dict[str, JsonObj], source: versions.SchemaSource
) -> tuple[JsonObj, JsonObj]:
    """A document's name schema, and its parent's (``workspace``) for a child. A workspace's
    name pattern as the newer definitions state it (the 2023-04-01 file has none); a child's
    (a kind with a parent) from its own definition's path parameter."""
    if not versions.parent_of(source.kind):
        return names["workspace"], {}
    noun = source.stem.replace("-", " ")
    parent = {
        "workspace": {
            "description": f"Name of the workspace this {noun} belongs to.",
            "type": "string",
            "pattern": names["workspace"]["pattern"],
            NAME_MARK: True,
        }
    }
    return _param(specs, root / source.spec, source.name_parameter), parent


def _resource_documents(
    specs: SpecSet,
    root: Path,
    names: dict[str, JsonObj],
    refs: dict[str, str],
    parts: dict[str, JsonObj],
) -> JsonObj:
    """Each kind's document at each of its api-versions, and the PlaywrightAccessTokens one,
    by their $defs name."""
    subscription, rg = names["subscription"], names["resourceGroup"]
    label: JsonObj = {
        "type": "string",
        "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
        "description": "A local name for this audit (lowercase, digits, '-').",
    }
    for name_schema in (subscription, rg, label):
        name_schema[NAME_MARK] = True
    documents: JsonObj = {}
    for source in versions.SOURCES:
        name, extra = _name_and_parent(specs, root, names, source)
        metadata = _metadata(
            name, extra, subscription, rg, versions.api_version_schema(source.kind)
        )
        if source.kind == versions.WORKSPACE and "kind" in parts[source.file]["properties"]:
            # A version that knows hubs and projects: a Project may name its hub.
            metadata["properties"] = {**metadata["properties"], **_hub(names["workspace"])}
        document = _document(source.kind, metadata, refs[source.kind + source.suffix])
        if source.kind == versions.WORKSPACE:
            document["properties"]["outputs"] = {
                "description": "Values to show after apply creates or updates the workspace "
                "(never tokens).",
                "type": "array",
                "uniqueItems": True,
                "items": {"enum": list(WORKSPACE_OUTPUTS)},
            }
        documents[f"{source.kind}Document{source.suffix}"] = document
    documents["PlaywrightAccessTokensDocument"] = _document(
        "PlaywrightAccessTokens",
        {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": label,
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "additionalProperties": False,
        },
        refs["PlaywrightAccessTokens"],
    )
    return documents


def _defaults_document(subscription: JsonObj, rg: JsonObj) -> JsonObj:
    return {
        "description": "Shared values for every manifest in this directory and below.",
        "type": "object",
        "required": ["apiVersion", "kind", "spec"],
        "properties": {
            "apiVersion": {"const": MANIFEST_API_VERSION},
            "kind": {"const": "Defaults"},
            "metadata": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "additionalProperties": False,
            },
            "spec": {
                "type": "object",
                "properties": {
                    "subscription": subscription,
                    "resourceGroup": rg,
                    "location": {
                        "type": "string",
                        "description": "Default location of workspaces.",
                    },
                    "apiVersions": {
                        "description": "The api-version each kind's documents below are "
                        "written for, unless one names its own (metadata.apiVersion).",
                        "type": "object",
                        "properties": {k: versions.api_version_schema(k) for k in _kinds()},
                        "additionalProperties": False,
                    },
                    "owner": {
                        "type": "string",
                        "pattern": OWNER_PATTERN,
                        "description": "Who this configuration is: apply marks the "
                        "connections it creates managed-by: azureml-reconciler/<owner>, "
                        "and --prune deletes only connections marked so.",
                        NAME_MARK: True,
                    },
                },
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    }


def _kinds() -> list[str]:
    return list(dict.fromkeys(s.kind for s in versions.SOURCES))


def manifest_schema(specs: SpecSet, root: Path, parts: dict[str, JsonObj]) -> JsonObj:
    names = _names(specs, root)
    defs: JsonObj = {}
    refs = {
        s.kind + s.suffix: _embed(s.kind + s.suffix, parts[s.file], defs) for s in versions.SOURCES
    }
    refs["PlaywrightAccessTokens"] = _embed(
        "PlaywrightAccessTokens", parts["playwright-access-tokens.schema.json"], defs
    )
    documents = _resource_documents(specs, root, names, refs, parts)
    defs.update(documents)
    defs["DefaultsDocument"] = _defaults_document(names["subscription"], names["resourceGroup"])
    for name in [*documents, "DefaultsDocument", "PlaywrightAccessTokens"]:
        _allow_substitution(defs[name])
    kinds = [*_kinds(), "PlaywrightAccessTokens", "Defaults"]
    simple = [
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"$ref": f"#/$defs/{kind}Document"},
        }
        for kind in kinds[-2:]
    ]
    return {
        **header(
            "azureml-reconciler manifest document",
            [*dict.fromkeys(s.spec for s in versions.SOURCES), PLAYWRIGHT_SPEC, TYPES_SPEC],
        ),
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"enum": kinds}},
        "allOf": [*(b for kind in _kinds() for b in versions.dispatch(kind)), *simple],
        "$defs": dict(sorted(defs.items())),
    }


def generate(specs_dir: Path) -> dict[str, JsonObj]:
    """Build every schema derived from the API definitions; returns file name -> schema."""
    specs = SpecSet()
    parts = {
        s.file: RESOURCE_SCHEMAS.get(s.kind, plain_schema)(specs, specs_dir, s)
        for s in versions.SOURCES
    }
    parts["playwright-access-tokens.schema.json"] = playwright_schema(specs, specs_dir)
    return {**parts, "manifest.schema.json": manifest_schema(specs, specs_dir, parts)}


def render(schema: JsonObj) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write(out_dir: Path, schemas: dict[str, Any]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas.items():
        path = out_dir / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written
