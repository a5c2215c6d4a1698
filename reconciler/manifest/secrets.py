"""Secret references in manifests: finding them, checking them, resolving them at send time.

A reference is ``{fromEnv: NAME}`` or ``{fromFile: PATH}`` (relative to the manifest's
directory, confined to its repository: see :mod:`reconciler.manifest.secretfile`).
:func:`read_ref` is the one place a value is read: the loader calls it only to check that a
reference resolves, the planner to compare with ``listsecrets``, and :func:`resolve` right
before the PUT that sends it. No value is kept beyond that.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import SecretError
from reconciler.manifest import secretfile
from reconciler.manifest.yamlsource import JsonPath

# A literal secret accepted with --allow-literal-secrets, wrapped at load time so that everything
# downstream treats it as a reference (shown as a marker, read only to send or compare) and no
# renderer ever sees it as a plain value. Never written by users: the schema has no such key.
LITERAL = "(literal)"
_LITERAL_KEY = "$literal"
SECRET_FIELDS = ("credentials", "value")  # under spec.properties, every leaf is a secret
# The credentials of the job itself: this tool's sign-in (azure-identity's variables, Terraform's
# ARM_*, its state storage's key) and the CI's own tokens (GitHub Actions, Azure Pipelines,
# GitLab), and a managed identity endpoint's secret. A manifest in a pull request could otherwise
# name one as a connection's secret and, once applied, send it to a target of its choosing.
JOB_CREDENTIALS = frozenset(
    {
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        "AZURE_PASSWORD",
        "AZURE_FEDERATED_TOKEN",
        "ARM_CLIENT_SECRET",
        "ARM_CLIENT_CERTIFICATE",
        "ARM_CLIENT_CERTIFICATE_PASSWORD",
        "ARM_ACCESS_KEY",
        "ARM_SAS_TOKEN",
        "ARM_OIDC_TOKEN",
        "ARM_OIDC_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "SYSTEM_ACCESSTOKEN",
        "AZURE_DEVOPS_EXT_PAT",
        "CI_JOB_TOKEN",
        "CI_REGISTRY_PASSWORD",
        "CI_DEPLOY_PASSWORD",
        "CI_JOB_JWT",
        "CI_JOB_JWT_V2",
        "IDENTITY_HEADER",
        "MSI_SECRET",
    }
)


@dataclass(frozen=True)
class SecretRef:
    env: str | None = None
    file: str | None = None
    literal: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """Where the value comes from, never the value: ``env NAME``, ``file PATH``."""
        if self.env is not None:
            return f"env {self.env}"
        if self.file is not None:
            return f"file {self.file}"
        return "literal in the manifest"


def as_ref(value: Any) -> SecretRef | None:
    if isinstance(value, dict) and len(value) == 1:
        if isinstance(value.get("fromEnv"), str):
            return SecretRef(env=value["fromEnv"])
        if isinstance(value.get("fromFile"), str):
            return SecretRef(file=value["fromFile"])
        if isinstance(value.get(_LITERAL_KEY), str):
            return SecretRef(literal=value[_LITERAL_KEY])
    return None


def wrap_literals(spec: Any) -> Any:
    """A connection spec with every literal secret wrapped as a reference (see LITERAL)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("properties"), dict):
        return spec
    props = dict(spec["properties"])
    for name in SECRET_FIELDS:
        if name in props:
            props[name] = _wrap(props[name])
    return {**spec, "properties": props}


def _wrap(value: Any) -> Any:
    if isinstance(value, str):
        return {_LITERAL_KEY: value}
    if as_ref(value) is not None:
        return value
    if isinstance(value, dict):
        return {k: _wrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def find_refs(data: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, SecretRef]]:
    """Every reference in ``data`` with its path, in document order (depth first)."""
    # Collected by plain recursion into a list: specs are scanned several times a plan, and a
    # generator per container (with ``yield from`` up the chain) cost more than the walk.
    found: list[tuple[JsonPath, SecretRef]] = []
    _collect_refs(data, path, found)
    return iter(found)


def has_refs(data: Any) -> bool:
    """Whether ``data`` holds a reference: ``any(find_refs(data))``, without collecting them
    (asked of every declared resource while reading and deciding)."""
    if isinstance(data, dict):
        if len(data) == 1 and as_ref(data) is not None:
            return True
        values: Iterable[Any] = data.values()
    elif isinstance(data, list):
        values = data
    else:
        return False
    for value in values:  # noqa: SIM110  (a loop: any() would make a generator per container)
        if isinstance(value, dict | list) and has_refs(value):
            return True
    return False


def _collect_refs(data: Any, path: JsonPath, found: list[tuple[JsonPath, SecretRef]]) -> None:
    # Only containers are walked into: a reference is a mapping, never a scalar.
    if isinstance(data, dict):
        ref = as_ref(data) if len(data) == 1 else None
        if ref is not None:
            found.append((path, ref))
            return
        for key, value in data.items():
            if isinstance(value, dict | list):
                _collect_refs(value, (*path, key), found)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            if isinstance(value, dict | list):
                _collect_refs(value, (*path, i), found)


def read_ref(
    ref: SecretRef, env: Mapping[str, str], base_dir: Path
) -> tuple[str | None, str | None]:
    """(value, None) when ``ref`` resolves, else (None, why not). Never raises."""
    if ref.literal is not None:
        return (ref.literal, None) if ref.literal else (None, "secret literal is empty")
    if ref.env is not None:
        if ref.env.upper() in JOB_CREDENTIALS:
            return None, (
                f"secret environment variable {ref.env} is the job's own credential (its "
                "sign-in or its CI token): a manifest may not send it to Azure; give the "
                "connection a secret of its own"
            )
        if ref.env not in env:
            return None, f"secret environment variable {ref.env} is not set"
        if env[ref.env] == "":
            return None, f"secret environment variable {ref.env} is empty"
        return env[ref.env], None
    return secretfile.read(base_dir, ref.file or "")


def problem(ref: SecretRef, env: Mapping[str, str], base_dir: Path) -> str | None:
    """Why ``ref`` cannot be resolved, or None when it can."""
    return read_ref(ref, env, base_dir)[1]


def resolve(data: Any, env: Mapping[str, str], base_dir: Path) -> Any:
    """A copy of ``data`` with every reference replaced by its value."""
    ref = as_ref(data)
    if ref is not None:
        value, reason = read_ref(ref, env, base_dir)
        if value is None:
            raise SecretError(reason or "secret cannot be resolved")
        return value
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
            value, _ = read_ref(ref, env, base_dir)
            if value is not None:
                values[(connection.address.key, ".".join(str(p) for p in path))] = value
    return values
