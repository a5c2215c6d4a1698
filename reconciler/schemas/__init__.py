"""The generated JSON Schemas: where they live and how to load them."""

from reconciler.schemas.store import load_schema, schemas_dir

__all__ = ["load_schema", "schemas_dir"]
