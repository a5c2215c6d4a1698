"""Generate the emulator's own request/response schemas, one file per api-version.

Run ``python -m reconciler.emulator.specgen`` (``--specs DIR`` to read the API definitions from
elsewhere than ``../shared/specs``). It writes ``reconciler/emulator/specs/<api-version>.json``.

The emulator plays Azure, so it must not agree with the product by construction: this is a
faithful, mechanical translation of the OpenAPI (Swagger 2.0) definitions into JSON Schema
draft 2020-12, with none of the product's interpretation: ``readOnly``,
``x-nullable``, ``x-ms-enum``, ``x-ms-mutability``, ``x-ms-secret`` and ``x-ms-identifiers`` are
carried over as the spec states them (a closed object stays closed in the schema; the
emulator's validator ignores the closing, as ARM does), and a ``discriminator`` becomes
``if``/``then`` branches over the concrete types. Only the operations the emulator serves
are kept, with their path parameters' patterns, query parameters, body schema and response
schemas per status.

This module imports nothing from the product (``reconciler.schemas`` has its own generator
with its own annotations for the planner); a test keeps it that way.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JsonObj = dict[str, Any]

COMMAND = "python -m reconciler.emulator.specgen"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
_STABLE = "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable"
# The definitions per api-version that ../shared/specs holds: where the operations live.
SOURCES: dict[str, tuple[str, ...]] = {
    "2023-04-01": (f"{_STABLE}/2023-04-01/machineLearningServices.json",),
    "2024-04-01": (f"{_STABLE}/2024-04-01/workspaceRP.json",),
    "2025-09-01": (
        f"{_STABLE}/2025-09-01/workspaceRP.json",
        f"{_STABLE}/2025-09-01/machineLearningServices.json",
    ),
}
# The operations the emulator serves (operationId prefixes of the spec).
SERVED = (
    "Workspaces_Get",
    "Workspaces_CreateOrUpdate",
    "Workspaces_Update",
    "Workspaces_Delete",
    "Workspaces_ListByResourceGroup",
    "Workspaces_ListBySubscription",
    "Workspaces_ListNotebookAccessToken",
    "WorkspaceConnections_Create",
    "WorkspaceConnections_Get",
    "WorkspaceConnections_Update",
    "WorkspaceConnections_Delete",
    "WorkspaceConnections_List",
    "WorkspaceConnections_ListSecrets",
    "ManagedNetworkSettingsRule_List",
    "ManagedNetworkSettingsRule_Get",
    "ManagedNetworkSettingsRule_CreateOrUpdate",
    "ManagedNetworkSettingsRule_Delete",
)
# Swagger keywords that mean the same in JSON Schema.
_COPIED = (
    "type",
    "format",
    "enum",
    "default",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "readOnly",
)
# The spec's own vendor extensions, kept verbatim (they are facts of the contract).
_EXTENSIONS = ("x-ms-enum", "x-ms-mutability", "x-ms-secret", "x-ms-identifiers")


def default_specs_dir() -> Path:
    return Path(__file__).resolve().parents[2].parent / "shared" / "specs"


def default_out_dir() -> Path:
    return Path(__file__).resolve().parent / "specs"


@dataclass
class _Translator:
    """Swagger 2.0 definitions -> ``$defs`` of one JSON Schema document."""

    root: Path
    files: dict[Path, JsonObj] = field(default_factory=dict)
    defs: dict[str, JsonObj] = field(default_factory=dict)
    names: dict[tuple[Path, str], str] = field(default_factory=dict)

    def load(self, path: Path) -> JsonObj:
        path = path.resolve()
        if path not in self.files:
            self.files[path] = json.loads(path.read_text(encoding="utf-8"))
        return self.files[path]

    def resolve(self, ref: str, base: Path) -> tuple[Path, list[str], Any]:
        file_part, _, pointer = ref.partition("#")
        target = (base.parent / file_part).resolve() if file_part else base.resolve()
        node: Any = self.load(target)
        parts = [p for p in pointer.split("/") if p]
        for part in parts:
            node = node[part]
        return target, parts, node

    def _name(self, target: Path, name: str) -> str:
        key = (target, name)
        if key not in self.names:
            taken = set(self.names.values())
            self.names[key] = name if name not in taken else f"{target.stem}.{name}"
        return self.names[key]

    def ref(self, ref: str, base: Path, *, plain: bool = False) -> JsonObj:
        """Point at a definition, translating it once. ``plain``: a discriminated base as a
        parent of its subtypes (without the dispatch, which would recurse into them)."""
        target, parts, definition = self.resolve(ref, base)
        name = self._name(target, parts[-1])
        polymorphic = "discriminator" in definition
        if polymorphic and name not in self.defs:
            self.defs[name] = {}
            self.defs[name] = self._dispatch(definition, target, parts[-1], name)
        plain_name = f"{name}.base" if polymorphic else name
        if plain_name not in self.defs:
            self.defs[plain_name] = {}  # placeholder: breaks cycles
            self.defs[plain_name] = self.node(definition, target)
        return {"$ref": f"#/$defs/{plain_name if plain else name}"}

    def _dispatch(self, definition: JsonObj, target: Path, spec_name: str, name: str) -> JsonObj:
        """A discriminated base: the concrete type is chosen by the discriminator's value."""
        discriminator = definition["discriminator"]
        branches: list[JsonObj] = []
        for sub_name, sub in self.load(target).get("definitions", {}).items():
            parents = [p.get("$ref", "") for p in sub.get("allOf", [])]
            if not any(p.endswith(f"/definitions/{spec_name}") for p in parents):
                continue
            value = sub.get("x-ms-discriminator-value", sub_name)
            branches.append(
                {
                    "if": {
                        "properties": {discriminator: {"enum": [value]}},
                        "required": [discriminator],
                    },
                    "then": self.ref(f"#/definitions/{sub_name}", target),
                }
            )
        return {
            "allOf": [{"$ref": f"#/$defs/{name}.base"}, *branches],
            "x-discriminator": discriminator,
        }

    def node(self, schema: JsonObj, base: Path) -> JsonObj:
        if "$ref" in schema:
            out = self.ref(schema["$ref"], base)
            for key in ("readOnly", *_EXTENSIONS):
                if key in schema:
                    out[key] = schema[key]
            if schema.get("x-nullable"):
                out = {"anyOf": [out, {"type": "null"}]}
            return out
        out = {k: schema[k] for k in _COPIED if k in schema}
        for key in _EXTENSIONS:
            if key in schema:
                out[key] = schema[key]
        if "properties" in schema:
            out["properties"] = {k: self.node(v, base) for k, v in schema["properties"].items()}
        if "required" in schema:
            out["required"] = list(schema["required"])
        if "allOf" in schema:
            out["allOf"] = [
                self.ref(p["$ref"], base, plain=True) if "$ref" in p else self.node(p, base)
                for p in schema["allOf"]
            ]
        if "items" in schema:
            out["items"] = self.node(schema["items"], base)
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict):
            out["additionalProperties"] = self.node(additional, base)
        elif isinstance(additional, bool):
            # Swagger's closed object includes what it inherits through allOf; JSON Schema's
            # additionalProperties sees only its own properties, unevaluatedProperties all.
            out["unevaluatedProperties" if "allOf" in schema else "additionalProperties"] = (
                additional
            )
        if schema.get("x-nullable") and "type" in out:
            out["type"] = [out["type"], "null"]
        return out

    def parameter(self, param: JsonObj, base: Path) -> JsonObj:
        if "$ref" not in param:
            return param
        ref = param["$ref"]
        file_part, _, pointer = ref.partition("#")
        if file_part and not (base.parent / file_part).is_file():
            # 2024-04-01's workspaceRP.json names machineLearningServices.json (not published
            # with it) for a parameter it also defines itself: the same definition.
            ref = f"#{pointer}"
        target, _, resolved = self.resolve(ref, base)
        return self.parameter(resolved, target)


def _operations(tr: _Translator, sources: tuple[str, ...], specs: Path) -> JsonObj:
    operations: JsonObj = {}
    for relative in sources:
        spec_path = (specs / relative).resolve()
        spec = tr.load(spec_path)
        for template, methods in spec["paths"].items():
            shared = methods.get("parameters", [])
            for method, op in methods.items():
                if method == "parameters" or op.get("operationId") not in SERVED:
                    continue
                path_params: JsonObj = {}
                query: JsonObj = {}
                body: JsonObj | None = None
                for raw in [*shared, *op.get("parameters", [])]:
                    param = tr.parameter(raw, spec_path)
                    where = param.get("in")
                    if where == "body":
                        body = tr.node(param["schema"], spec_path)
                    elif where == "path":
                        path_params[param["name"]] = {
                            k: param[k]
                            for k in ("type", "pattern", "minLength", "maxLength")
                            if k in param
                        }
                    elif where == "query" and param["name"] != "api-version":
                        query[param["name"]] = {
                            k: param[k] for k in ("type", "required", "default") if k in param
                        }
                responses = {
                    status: (tr.node(r["schema"], spec_path) if "schema" in r else None)
                    for status, r in op["responses"].items()
                }
                entry: JsonObj = {
                    "method": method.upper(),
                    "path": template,
                    "pathParameters": path_params,
                    "queryParameters": query,
                    "body": body,
                    "responses": responses,
                    "longRunning": bool(op.get("x-ms-long-running-operation")),
                }
                if "x-ms-long-running-operation-options" in op:
                    entry["longRunningOptions"] = op["x-ms-long-running-operation-options"]
                operations[op["operationId"]] = entry
    return dict(sorted(operations.items()))


def generate(api_version: str, specs: Path) -> JsonObj:
    tr = _Translator(specs)
    sources = SOURCES[api_version]
    operations = _operations(tr, sources, specs)
    return {
        "$schema": DRAFT,
        "$comment": f"GENERATED by `{COMMAND}` from ../shared/specs. Do not edit by hand.",
        "apiVersion": api_version,
        "generatedFrom": list(sources),
        "operations": operations,
        "$defs": dict(sorted(tr.defs.items())),
    }


def render(document: JsonObj) -> str:
    return json.dumps(document, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=Path, default=default_specs_dir())
    parser.add_argument("--out", type=Path, default=default_out_dir())
    args = parser.parse_args(argv)
    if not args.specs.is_dir():
        print(f"error: no API definitions at {args.specs}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for version in SOURCES:
        path = args.out / f"{version}.json"
        path.write_text(render(generate(version, args.specs)), encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
