"""Secret references in manifests: finding them, checking them, resolving them at send time.

A reference is ``{fromEnv: NAME}`` or ``{fromFile: PATH}`` (relative to the manifest's
directory). Values are read only by :func:`resolve`, which the applier calls right before a
PUT; nothing else in the program ever holds a secret value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import SecretError
from reconciler.manifest.yamlsource import JsonPath


@dataclass(frozen=True)
class SecretRef:
    env: str | None = None
    file: str | None = None

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file}"


def as_ref(value: Any) -> SecretRef | None:
    if isinstance(value, dict) and len(value) == 1:
        if isinstance(value.get("fromEnv"), str):
            return SecretRef(env=value["fromEnv"])
        if isinstance(value.get("fromFile"), str):
            return SecretRef(file=value["fromFile"])
    return None


def find_refs(data: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, SecretRef]]:
    ref = as_ref(data)
    if ref is not None:
        yield path, ref
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from find_refs(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from find_refs(value, (*path, i))


def problem(ref: SecretRef, env: Mapping[str, str], base_dir: Path) -> str | None:
    """Why ``ref`` cannot be resolved, or None when it can."""
    if ref.env is not None:
        if ref.env not in env:
            return f"secret environment variable {ref.env} is not set"
        if env[ref.env] == "":
            return f"secret environment variable {ref.env} is empty"
        return None
    path = base_dir / (ref.file or "")
    if not path.is_file():
        return f"secret file {path} does not exist"
    return None


def resolve(data: Any, env: Mapping[str, str], base_dir: Path) -> Any:
    """A copy of ``data`` with every reference replaced by its value."""
    ref = as_ref(data)
    if ref is not None:
        reason = problem(ref, env, base_dir)
        if reason is not None:
            raise SecretError(reason)
        if ref.env is not None:
            return env[ref.env]
        return (base_dir / (ref.file or "")).read_text(encoding="utf-8").rstrip("\r\n")
    if isinstance(data, dict):
        return {k: resolve(v, env, base_dir) for k, v in data.items()}
    if isinstance(data, list):
        return [resolve(v, env, base_dir) for v in data]
    return data


def values_for_comparison(
    connections: Iterable[Any], env: Mapping[str, str]
) -> dict[tuple[tuple[str, ...], str], str]:
    """Resolved secret values keyed by (connection address key, dotted spec path).

    Used only to compare with ``listsecrets``; the planner never copies them into a plan.
    References that cannot be resolved are left out (the comparison is then skipped).
    """
    values: dict[tuple[tuple[str, ...], str], str] = {}
    for connection in connections:
        base_dir = connection.source.file.parent
        for path, ref in find_refs(connection.spec):
            if problem(ref, env, base_dir) is not None:
                continue
            dotted = ".".join(str(p) for p in path)
            values[(connection.address.key, dotted)] = resolve(
                {"fromEnv": ref.env} if ref.env else {"fromFile": ref.file}, env, base_dir
            )
    return values
