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
    print(f"documents:            {args.documents}")
    print(f"reconciler validate:  {ours:.3f} s  ({args.documents / ours:,.0f} documents/s)")
    print(f"baseline (rt+schema): {base:.3f} s")
    print(f"speed-up vs baseline: {base / ours:.1f}x")


if __name__ == "__main__":
    main()
