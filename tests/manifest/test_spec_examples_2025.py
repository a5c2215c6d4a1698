"""Every x-ms-examples body of a 2025-09-01 PUT of a workspace, a connection or an outbound rule
is a valid manifest ``spec`` at that version: what the API definition shows as a request is
what a manifest may say. The examples come from ../shared/specs (skipped when absent); the
definition names each PUT's examples, and the ones ../shared holds are all checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.manifest import schemacheck

STABLE = "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable"
VERSION = "2025-09-01"
# operationId -> (manifest kind, the example parameter naming the resource)
PUTS = {
    "Workspaces_CreateOrUpdate": ("Workspace", "workspaceName"),
    "WorkspaceConnections_Create": ("Connection", "connectionName"),
    "ManagedNetworkSettingsRule_CreateOrUpdate": ("OutboundRule", "ruleName"),
}


def _examples(specs_dir: Path) -> list[tuple[str, str, Path]]:
    """(operationId, kind, example file) for every example the definition names for the PUTs."""
    root = specs_dir / STABLE / VERSION
    definition = json.loads((root / "workspaceRP.json").read_text(encoding="utf-8"))
    found = []
    for operations in definition["paths"].values():
        put = operations.get("put")
        if not isinstance(put, dict) or put.get("operationId") not in PUTS:
            continue
        kind, _ = PUTS[put["operationId"]]
        for example in put.get("x-ms-examples", {}).values():
            found.append((put["operationId"], kind, root / example["$ref"]))
    return found


def _document(kind: str, parameters: dict[str, Any], name_parameter: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": parameters[name_parameter], "apiVersion": VERSION}
    if kind != "Workspace":
        metadata["workspace"] = parameters["workspaceName"]
    return {
        "apiVersion": "reconciler/v1",
        "kind": kind,
        "metadata": metadata,
        "spec": parameters["body"],
    }


def test_every_2025_09_01_put_example_body_is_a_valid_manifest_spec(specs_dir: Path) -> None:
    examples = _examples(specs_dir)
    # The definition names one example per PUT; ../shared holds the ones it was given.
    assert {operation for operation, _, _ in examples} == set(PUTS)
    present = [(op, kind, path) for op, kind, path in examples if path.is_file()]
    assert present, "no 2025-09-01 PUT example in ../shared"
    problems = {}
    for operation, kind, path in present:
        parameters = json.loads(path.read_text(encoding="utf-8"))["parameters"]
        document = _document(kind, parameters, PUTS[operation][1])
        # Example bodies hold literal example credentials; a manifest gives them by reference.
        issues = schemacheck.check(document, allow_literal_secrets=True)
        if issues:
            problems[path.name] = [(".".join(map(str, i.path)), i.message) for i in issues]
    assert problems == {}


def test_the_same_bodies_are_refused_at_an_older_version_where_it_lacks_their_fields(
    specs_dir: Path,
) -> None:
    """The check is made at 2025-09-01: an outbound rule exists at no other version."""
    for operation, kind, path in _examples(specs_dir):
        if kind != "OutboundRule" or not path.is_file():
            continue
        parameters = json.loads(path.read_text(encoding="utf-8"))["parameters"]
        document = _document(kind, parameters, PUTS[operation][1])
        document["metadata"]["apiVersion"] = "2024-04-01"
        issues = schemacheck.check(document, allow_literal_secrets=True)
        assert [i.path for i in issues] == [("metadata", "apiVersion")]
