"""Validate 1,000 manifest documents; print the time and the ratio to a naive baseline.

Usage: python bench/validate_1000.py [--documents N] [--repeat R]

Baseline (same run, same input): ruamel.yaml round-trip loading (which keeps positions, the
obvious way to get line numbers) followed by plain jsonschema validation. Ours: the full
`validate` pipeline (C composer with positions, substitution, schema and cross checks).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

WORKSPACE = """apiVersion: reconciler/v1
kind: Workspace
metadata:
  name: ws-{i:04d}
  subscription: 00000000-1111-2222-3333-444444444444
  resourceGroup: rg-{rg}
spec:
  location: eastus2
  identity: {{type: SystemAssigned}}
  tags: {{team: ml, env: prod}}
  properties:
    friendlyName: Workspace {i}
    description: benchmark workspace
    keyVault: /subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-{rg}/providers/Microsoft.KeyVault/vaults/kv{i}
    storageAccount: /subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-{rg}/providers/Microsoft.Storage/storageAccounts/sa{i}
    hbiWorkspace: false
    publicNetworkAccess: Disabled
---
apiVersion: reconciler/v1
kind: Connection
metadata:
  name: conn-{i:04d}
  workspace: ws-{i:04d}
  subscription: 00000000-1111-2222-3333-444444444444
  resourceGroup: rg-{rg}
spec:
  properties:
    category: AzureOpenAI
    authType: ApiKey
    target: https://aoai-{i}.openai.azure.com/
    credentials:
      key: {{fromEnv: BENCH_KEY}}
"""  # noqa: E501


def _write(directory: Path, documents: int) -> Path:
    path = directory / "bench.yaml"
    path.write_text("---\n".join(WORKSPACE.format(i=i, rg=i % 4) for i in range(documents // 2)))
    return path


def _ours(path: Path) -> float:
    from reconciler.manifest.load import load

    start = time.perf_counter()
    result = load([path], env={"BENCH_KEY": "x"})
    elapsed = time.perf_counter() - start
    assert result.ok, result.problems[:3]
    return elapsed


def _baseline(path: Path) -> float:
    from jsonschema import Draft202012Validator
    from ruamel.yaml import YAML

    from reconciler.schemas import load_schema

    validator = Draft202012Validator(load_schema("manifest.schema.json"))
    start = time.perf_counter()
    for doc in YAML(typ="rt").load_all(path.read_text()):
        list(validator.iter_errors(doc))
    return time.perf_counter() - start


def _schema_checks(path: Path) -> tuple[float, float]:
    """The schema check alone, per document: the compiled validator's verdict (what a valid
    document costs now) against jsonschema's full walk (what every document cost before)."""
    from reconciler.manifest import schemacheck, schemaexplain, schemarules
    from reconciler.manifest.yamlsource import read_documents

    documents = [d.data for d in read_documents(path, path.read_text())[0]]
    dispatched = [(d, *schemarules.dispatch(d)) for d in documents]
    for d, kind, auth in dispatched[:4]:  # build both validators first
        schemacheck.is_valid(d)
        schemaexplain.explain(d, allow_literal_secrets=False, kind=kind, auth_type=auth)
    start = time.perf_counter()
    assert all(schemacheck.is_valid(d) for d in documents)
    fast = time.perf_counter() - start
    start = time.perf_counter()
    for d, kind, auth in dispatched:
        schemaexplain.explain(d, allow_literal_secrets=False, kind=kind, auth_type=auth)
    return fast, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), args.documents)
        _ours(path)  # warm caches: schema load, validator build
        ours = statistics.median(_ours(path) for _ in range(args.repeat))
        base = statistics.median(_baseline(path) for _ in range(args.repeat))
        fast, slow = _schema_checks(path)
    print(f"documents:            {args.documents}")
    print(f"reconciler validate:  {ours:.3f} s  ({args.documents / ours:,.0f} documents/s)")
    print(f"baseline (rt+schema): {base:.3f} s")
    print(f"speed-up vs baseline: {base / ours:.1f}x")
    print(
        f"schema check alone:   jsonschema-rs {fast * 1000:.0f} ms, jsonschema "
        f"{slow * 1000:.0f} ms ({slow / fast:.0f}x; {fast / args.documents * 1e6:.0f} vs "
        f"{slow / args.documents * 1e6:.0f} µs a document)"
    )


if __name__ == "__main__":
    main()
