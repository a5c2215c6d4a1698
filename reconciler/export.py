"""Adopt existing workspaces and connections: write them out as manifests.

One file per workspace (its connections beside it, in the same file), keys in a stable order,
read-only fields and server defaults left out, ARM IDs as ARM returned them, and every
credential replaced by ``{fromEnv: NAME}`` with NAME derived from the resource and listed at the
top of the file. The secret values are never written, even when the caller could read them:
``listsecrets`` is used only to learn the names of a CustomKeys connection's keys.

Only what validates is written: explicit nulls, empty strings and fields the api-version does
not define (server-only ones such as ``sdkTelemetryAppInsightsKey``, newer ones such as
``enableDataIsolation`` or a top-level ``kind``) are left out — the ones whose loss would matter
are named in the file's header — and enum values take the schema's spelling (ARM answers
``SystemAssigned, UserAssigned``; the schema says ``SystemAssigned,UserAssigned``).

Re-exporting an unchanged resource writes an identical file, so exports diff cleanly in git.
"""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import Emitter

from reconciler.arm import paths
from reconciler.arm.client import ArmClient
from reconciler.errors import ArmAuthError
from reconciler.plan.compare import Node
from reconciler.plan.ownership import OWNER_KEY
from reconciler.plan.planner import CONNECTION_API, WORKSPACE_API
from reconciler.plan.writeback import uncarried
from reconciler.read.live import listed, resource
from reconciler.schemas import load_schema
from reconciler.schemas.generate import MANIFEST_API_VERSION

TOP_LEVEL_ORDER = ("location", "identity", "sku", "tags", "properties")
# Credential fields written for each auth type: the ones its documentation calls required;
# every field of the shape where it says nothing.
CREDENTIAL_FIELDS = {
    "OAuth2": ("clientId", "clientSecret"),
    "UsernamePassword": ("username", "password"),
}


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    text: str
    env_vars: tuple[tuple[str, str], ...]  # (variable, what it must hold)


def env_name(*parts: str) -> str:
    """RG-agnostic, readable variable names: WORKSPACE_CONNECTION_FIELD, upper snake case."""
    text = "_".join(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", p) for p in parts)
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper()


def _canonical(value: str, node: Node) -> str:
    """An enum value in the schema's spelling (ARM's answers vary in case and spacing)."""
    for member in node.s.get("enum") or ():
        if (
            isinstance(member, str)
            and member.replace(" ", "").lower() == value.replace(" ", "").lower()
        ):
            return member
    return value


def _clean(value: Any, node: Node, *, as_map_value: bool = False) -> Any:
    """Drop read-only and unknown fields, nulls, empty strings, schema defaults and empty
    containers; spell enum values as the schema does; order keys by schema."""
    if isinstance(value, dict):
        schema = node.branch(value).s
        order = list(schema.get("properties", {}))
        keys = sorted(value, key=lambda k: (order.index(k) if k in order else len(order), k))
        out = CommentedMap()
        for key in keys:
            if not node.is_map and key not in order:
                continue  # not in this api-version: validate would reject it
            child = node.child(key, value)
            if child.flag("readOnly"):
                continue
            cleaned = _clean(value[key], child, as_map_value=node.is_map)
            if cleaned is None:
                continue
            if "default" in child.s and child.s["default"] == cleaned:
                continue
            out[key] = cleaned
        if not out and not as_map_value:
            return None
        return out
    if isinstance(value, list):
        items = [_clean(v, node.items()) for v in value]
        kept = [i for i in items if i is not None]
        return CommentedSeq(kept) if kept else None
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return _canonical(value, node)
    return value


def _order_top(spec: CommentedMap) -> CommentedMap:
    out = CommentedMap()
    for key in [k for k in TOP_LEVEL_ORDER if k in spec] + [
        k for k in spec if k not in TOP_LEVEL_ORDER
    ]:
        out[key] = spec[key]
    return out


def _scope(body: dict[str, Any]) -> tuple[str, str]:
    parts = str(body.get("id", "")).split("/")
    lowered = [p.lower() for p in parts]
    sub = parts[lowered.index("subscriptions") + 1]
    rg = parts[lowered.index("resourcegroups") + 1]
    return sub, rg


def workspace_document(body: dict[str, Any]) -> CommentedMap:
    schema = load_schema("workspace.schema.json")
    sub, rg = _scope(body)
    spec = _clean(body, Node(schema, schema)) or CommentedMap()
    doc = CommentedMap()
    doc["apiVersion"] = MANIFEST_API_VERSION
    doc["kind"] = "Workspace"
    doc["metadata"] = CommentedMap(
        [("name", body["name"]), ("subscription", sub), ("resourceGroup", rg)]
    )
    doc["spec"] = _order_top(spec)
    return doc


def _credential_fields(schema: dict[str, Any], auth_type: str) -> list[str]:
    node = Node(schema, schema).child("properties").branch({"authType": auth_type})
    creds = node.s.get("properties", {}).get("credentials")
    if creds is None:
        return []
    fields = list(Node(schema, creds).s.get("properties", {}))
    wanted = CREDENTIAL_FIELDS.get(auth_type)
    return [f for f in fields if wanted is None or f in wanted]


def _reference(name: str) -> CommentedMap:
    ref = CommentedMap([("fromEnv", name)])
    ref.fa.set_flow_style()  # {fromEnv: NAME} on one line
    return ref


def connection_document(
    workspace: dict[str, Any], body: dict[str, Any], custom_key_names: list[str] | None
) -> tuple[CommentedMap, list[tuple[str, str]]]:
    schema = load_schema("connection.schema.json")
    sub, rg = _scope(workspace)
    props = dict(body.get("properties") or {})
    metadata = dict(props.get("metadata") or {})
    # The ownership marker is apply's to write (a manifest may not declare it): whoever's it
    # is, it stays in Azure and out of the exported manifest.
    metadata.pop(OWNER_KEY, None)
    props["metadata"] = metadata
    props.pop("credentials", None)
    cleaned = _clean({"properties": props}, Node(schema, schema)) or CommentedMap()
    spec_props = cleaned.get("properties") or CommentedMap()
    env_vars: list[tuple[str, str]] = []
    auth_type = str(props.get("authType", ""))
    fields = _credential_fields(schema, auth_type)
    if fields:
        credentials = CommentedMap()
        for field in fields:
            if field == "keys":
                keys = CommentedMap()
                for key in custom_key_names or ["KEY"]:
                    name = env_name(workspace["name"], body["name"], key)
                    keys[key] = _reference(name)
                    env_vars.append((name, f"key {key!r} of connection {body['name']}"))
                credentials["keys"] = keys
                if not custom_key_names:
                    credentials.yaml_add_eol_comment(
                        "the key names could not be read: name them as the service expects", "keys"
                    )
                continue
            name = env_name(workspace["name"], body["name"], field)
            credentials[field] = _reference(name)
            env_vars.append((name, f"{field} of connection {body['name']} ({auth_type})"))
        spec_props["credentials"] = credentials
    doc = CommentedMap()
    doc["apiVersion"] = MANIFEST_API_VERSION
    doc["kind"] = "Connection"
    doc["metadata"] = CommentedMap(
        [
            ("name", body["name"]),
            ("workspace", workspace["name"]),
            ("subscription", sub),
            ("resourceGroup", rg),
        ]
    )
    doc["spec"] = CommentedMap([("properties", spec_props)])
    return doc, env_vars


class _Emitter(Emitter):
    """YAML allows implicit keys up to 1024 characters; ruamel switches to the complex-key
    form (``? key``) at 128, which ARM IDs used as keys (``userAssignedIdentities``) pass."""

    MAX_SIMPLE_KEY_LENGTH = 1024


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Emitter = _Emitter
    yaml.width = 4096  # ARM IDs stay on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.default_flow_style = False
    return yaml


def render_file(
    workspace: dict[str, Any],
    connections: list[dict[str, Any]],
    key_names: dict[str, list[str] | None],
) -> tuple[str, list[tuple[str, str]]]:
    documents = [workspace_document(workspace)]
    env_vars: list[tuple[str, str]] = []
    for body in sorted(connections, key=lambda c: str(c.get("name", "")).lower()):
        doc, names = connection_document(workspace, body, key_names.get(body["name"]))
        documents.append(doc)
        env_vars += names
    header = [f"# Exported by `reconciler export` from {workspace['id']}."]
    lost = _not_exported(workspace, connections)
    if lost:
        header.append(
            "# Not exported, as the api-versions written here cannot carry them (an update by "
            "this tool refuses to remove them; --strict removes them):"
        )
        header += [f"#   {name}: {', '.join(fields)}" for name, fields in lost]
    if env_vars:
        header.append(
            "# Credentials are not exported. Set these variables (from your secret "
            "store) before plan or apply:"
        )
        header += [f"#   {name}: {what}" for name, what in env_vars]
    stream = io.StringIO()
    _yaml().dump_all(documents, stream)
    return "\n".join(header) + "\n" + stream.getvalue(), env_vars


def _not_exported(
    workspace: dict[str, Any], connections: list[dict[str, Any]]
) -> list[tuple[str, list[str]]]:
    """Per resource, the live fields left out that hold something (see plan.writeback)."""
    found = []
    ws_schema = load_schema("workspace.schema.json")
    fields = uncarried(workspace, Node(ws_schema, ws_schema))
    if fields:
        found.append((f"workspace {workspace['name']} (api-version {WORKSPACE_API})", fields))
    conn_schema = load_schema("connection.schema.json")
    for body in sorted(connections, key=lambda c: str(c.get("name", "")).lower()):
        fields = uncarried(body, Node(conn_schema, conn_schema))
        if fields:
            found.append((f"connection {body['name']} (api-version {CONNECTION_API})", fields))
    return found


async def read(
    client: ArmClient, subscription: str, resource_group: str | None, workspace: str | None
) -> list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, list[str] | None]]]:
    params = {"api-version": paths.WORKSPACE_API}
    if resource_group:
        url = paths.workspaces(subscription, resource_group)
    else:
        url = paths.subscription_workspaces(subscription)
    workspaces = [
        listed(item, url)
        for item in await client.list_all(url, params=params, kind="workspace.list")
    ]
    if workspace:
        workspaces = [w for w in workspaces if str(w.get("name", "")).lower() == workspace.lower()]

    async def one(
        body: dict[str, Any],
    ) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, list[str] | None]]:
        sub, rg = _scope(body)
        base = f"{paths.workspace_by_name(sub, rg, str(body['name']))}/connections"
        conns = [
            listed(item, base)
            for item in await client.list_all(
                base, params={"api-version": paths.CONNECTION_API}, kind="connection.list"
            )
        ]
        names: dict[str, list[str] | None] = {}
        for conn in conns:
            if (conn.get("properties") or {}).get("authType") != "CustomKeys":
                continue
            try:
                answer = await client.request(
                    "POST",
                    f"{base}/{paths.segment(str(conn['name']))}/listsecrets",
                    params={"api-version": paths.CONNECTION_API},
                    kind="connection.listsecrets",
                )
                listed_secrets = resource(answer.body, answer, "POST")
                props = listed_secrets.get("properties") or {}
                keys = (props.get("credentials") or {}).get("keys") or {}
                # The names only; values are dropped here.
                names[conn["name"]] = sorted(keys) if isinstance(keys, dict) else None
            except ArmAuthError:
                names[conn["name"]] = None
        return body, conns, names

    return list(await asyncio.gather(*(one(w) for w in workspaces)))


def files_for(
    out: Path,
    exported: list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, list[str] | None]]],
) -> list[ExportedFile]:
    files = []
    for workspace, connections, key_names in sorted(
        exported, key=lambda e: str(e[0]["id"]).lower()
    ):
        _, rg = _scope(workspace)
        text, env_vars = render_file(workspace, connections, key_names)
        files.append(ExportedFile(out / rg / f"{workspace['name']}.yaml", text, tuple(env_vars)))
    return files
