"""Translate Swagger 2.0 (OpenAPI v2) schema objects into JSON Schema draft 2020-12.

This module owns the mechanical part of schema generation: following ``$ref`` across spec
files, flattening ``allOf`` inheritance, and expanding ``discriminator`` polymorphism into
``if``/``then`` branches so that validation errors come from the one branch that applies
(``oneOf`` would report every branch). It knows nothing about workspaces or connections;
the product-specific annotations are applied by :mod:`reconciler.schemas.generate`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JsonObj = dict[str, Any]

# Swagger keywords that carry over to JSON Schema unchanged.
_COPIED = (
    "type",
    "format",
    "enum",
    "description",
    "default",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "readOnly",
    "title",
)


@dataclass
class SpecSet:
    """Spec files loaded once, addressed by absolute path."""

    files: dict[Path, JsonObj] = field(default_factory=dict)

    def load(self, path: Path) -> JsonObj:
        path = path.resolve()
        if path not in self.files:
            self.files[path] = json.loads(path.read_text(encoding="utf-8"))
        return self.files[path]

    def resolve(self, ref: str, base: Path) -> tuple[Path, str, JsonObj]:
        """Return (file, definition name, definition) for a ``$ref`` written in ``base``."""
        file_part, _, pointer = ref.partition("#")
        target = (base.parent / file_part).resolve() if file_part else base.resolve()
        doc = self.load(target)
        parts = [p for p in pointer.split("/") if p]
        node: Any = doc
        for part in parts:
            node = node[part]
        return target, parts[-1], node


@dataclass
class Translator:
    """Converts definitions into ``$defs`` entries of one output schema."""

    specs: SpecSet
    defs: dict[str, JsonObj] = field(default_factory=dict)
    _origin: dict[str, Path] = field(default_factory=dict)

    def ref(self, ref: str, base: Path) -> JsonObj:
        """Translate a referenced definition once and point at it."""
        target, name, definition = self.specs.resolve(ref, base)
        if name in self._origin and self._origin[name] != target:
            # Same name in two files (rare across ARM common types): keep both apart.
            name = f"{target.stem}.{name}"
        if name not in self.defs:
            self._origin[name] = target
            self.defs[name] = {}  # placeholder: breaks cycles
            self.defs[name] = self.node(definition, target, name=name)
        return {"$ref": f"#/$defs/{name}"}

    def node(self, schema: JsonObj, base: Path, *, name: str | None = None) -> JsonObj:
        if "$ref" in schema:
            out = self.ref(schema["$ref"], base)
            # Sibling keywords on a $ref (description, readOnly) are allowed in 2020-12.
            for key in ("description", "readOnly"):
                if key in schema:
                    out[key] = schema[key]
            _copy_extensions(schema, out)
            return out
        if "discriminator" in schema and name is not None:
            return self._polymorphic(schema, base, name)
        out = {k: schema[k] for k in _COPIED if k in schema}
        props, required = self._collect_properties(schema, base)
        if props:
            out["type"] = "object"
            out["properties"] = props
        if required:
            out["required"] = sorted(set(required), key=required.index)
        if "items" in schema:
            out["items"] = self.node(schema["items"], base)
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict):
            out["additionalProperties"] = self.node(additional, base)
        elif additional is False or (additional is None and props):
            # A closed object: unknown fields in a manifest are typos, not extensions.
            out["additionalProperties"] = False
        _copy_extensions(schema, out)
        return out

    def _collect_properties(self, schema: JsonObj, base: Path) -> tuple[JsonObj, list[str]]:
        """Own properties plus those inherited through ``allOf`` (flattened)."""
        props: JsonObj = {}
        required: list[str] = []
        for parent in schema.get("allOf", []):
            target, _, definition = (
                self.specs.resolve(parent["$ref"], base) if "$ref" in parent else (base, "", parent)
            )
            inherited, inherited_required = self._collect_properties(definition, target)
            props.update(inherited)
            required.extend(inherited_required)
        for key, sub in schema.get("properties", {}).items():
            props[key] = self.node(sub, base)
        required.extend(schema.get("required", []))
        return props, required

    def _polymorphic(self, schema: JsonObj, base: Path, name: str) -> JsonObj:
        """Expand a discriminated base into one closed schema per concrete type."""
        discriminator = schema["discriminator"]
        base_doc = self.specs.load(base)
        branches: list[JsonObj] = []
        values: list[str] = []
        for sub_name, sub in base_doc.get("definitions", {}).items():
            parents = [p.get("$ref", "") for p in sub.get("allOf", [])]
            if not any(p.endswith(f"/definitions/{name}") for p in parents):
                continue
            value = sub.get("x-ms-discriminator-value", sub_name)
            values.append(value)
            flat = {k: v for k, v in sub.items() if k != "x-ms-discriminator-value"}
            self.defs[sub_name] = self.node(flat, base)
            self.defs[sub_name]["additionalProperties"] = False
            self.defs[sub_name]["properties"][discriminator] = {
                **self.defs[sub_name]["properties"][discriminator],
                "const": value,
            }
            branches.append(
                {
                    "if": {
                        "properties": {discriminator: {"const": value}},
                        "required": [discriminator],
                    },
                    "then": {"$ref": f"#/$defs/{sub_name}"},
                }
            )
        plain = {k: v for k, v in schema.items() if k != "discriminator"}
        out = self.node(plain, base)
        # The base lists every field for editors; closing it is the branches' job.
        out.pop("additionalProperties", None)
        out["x-reconciler-discriminator"] = discriminator
        out["allOf"] = branches
        return out


def _copy_extensions(schema: JsonObj, out: JsonObj) -> None:
    """Carry over the vendor extensions the reconciler acts on."""
    if schema.get("x-ms-secret"):
        out["x-reconciler-secret"] = True
    if "x-ms-identifiers" in schema:
        out["x-reconciler-list-keys"] = list(schema["x-ms-identifiers"])
    mutability = schema.get("x-ms-mutability")
    if mutability and "create" in mutability and "update" not in mutability:
        out["x-reconciler-create-only"] = True
