"""A workspace connection: a child of a workspace, holding write-only credentials.

``PUT …/workspaces/{ws}/connections/{name}?api-version=2024-04-01``, synchronous. GET and list
never return ``credentials``: only the ``listsecrets`` action does, so secrets are compared
through it, and an export writes a ``{fromEnv: NAME}`` reference for each credential instead of
its value. Apply marks what it creates (``properties.metadata.managed-by``), and ``--prune``
deletes only undeclared connections carrying this configuration's marker
(:mod:`reconciler.plan.ownership`).
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from reconciler.errors import UnreadableAnswer
from reconciler.kinds import document
from reconciler.kinds.base import Body, Exported, ResourceKind
from reconciler.kinds.workspace import WORKSPACE
from reconciler.manifest.model import Kind
from reconciler.manifest.secrets import SECRET_FIELDS
from reconciler.schemas.node import Node

KIND = Kind("Connection")
API_VERSION = "2024-04-01"
# The key of the ownership marker apply writes into ``properties.metadata``.
OWNER_KEY = "managed-by"

# Credential fields exported for each auth type: the ones its documentation calls required;
# every field of the shape where it says nothing.
CREDENTIAL_FIELDS = {
    "OAuth2": ("clientId", "clientSecret"),
    "UsernamePassword": ("username", "password"),
}


def mark(body: Body, marker: str) -> Body:
    """``body`` with the ownership marker in its metadata (kept across updates: a PUT
    replaces the whole body)."""
    props = dict(body.get("properties") or {})
    props["metadata"] = {**(props.get("metadata") or {}), OWNER_KEY: marker}
    return {**body, "properties": props}


def _credential_fields(schema: dict[str, Any], auth_type: str) -> list[str]:
    node = Node(schema, schema).child("properties").branch({"authType": auth_type})
    creds = node.s.get("properties", {}).get("credentials")
    if creds is None:
        return []
    fields = list(Node(schema, creds).s.get("properties", {}))
    wanted = CREDENTIAL_FIELDS.get(auth_type)
    return [f for f in fields if wanted is None or f in wanted]


def _credentials(
    kind: ResourceKind, workspace: str, body: Body, key_names: list[str] | None
) -> tuple[CommentedMap | None, list[tuple[str, str]]]:
    """A reference per credential field of the connection's auth type, and its variables."""
    auth_type = str((body.get("properties") or {}).get("authType", ""))
    fields = _credential_fields(kind.schema(), auth_type)
    if not fields:
        return None, []
    credentials = CommentedMap()
    env_vars: list[tuple[str, str]] = []
    for field in fields:
        if field == "keys":
            keys = CommentedMap()
            for key in key_names or ["KEY"]:
                name = document.env_name(workspace, body["name"], key)
                keys[key] = document.reference(name)
                env_vars.append((name, f"key {key!r} of connection {body['name']}"))
            credentials["keys"] = keys
            if not key_names:
                credentials.yaml_add_eol_comment(
                    "the key names could not be read: name them as the service expects", "keys"
                )
            continue
        name = document.env_name(workspace, body["name"], field)
        credentials[field] = document.reference(name)
        env_vars.append((name, f"{field} of connection {body['name']} ({auth_type})"))
    return credentials, env_vars


def export(
    kind: ResourceKind, body: Body, parent: Body | None, key_names: list[str] | None
) -> Exported:
    """A Connection document; credentials as references to variables, never values."""
    assert parent is not None
    sub, rg = document.scope(parent)
    props = dict(body.get("properties") or {})
    metadata = props.get("metadata") or {}
    if not isinstance(metadata, dict):
        where = CONNECTION.path(CONNECTION.address(sub, rg, str(body["name"]), parent["name"]))
        raise UnreadableAnswer(
            "properties.metadata is not an object", method="GET", url=where, request_id=None
        )
    metadata = dict(metadata)
    # The ownership marker is apply's to write (a manifest may not declare it): whoever's it
    # is, it stays in Azure and out of the exported manifest.
    metadata.pop(OWNER_KEY, None)
    props["metadata"] = metadata
    # Secrets are never written, whatever the answer held: credentials become references
    # below; the legacy value, a secret too, is left out.
    for field in SECRET_FIELDS:
        props.pop(field, None)
    cleaned = document.clean({"properties": props}, kind.node()) or CommentedMap()
    spec_props = cleaned.get("properties") or CommentedMap()
    credentials, env_vars = _credentials(kind, parent["name"], body, key_names)
    if credentials is not None:
        spec_props["credentials"] = credentials
    meta: list[tuple[str, Any]] = [
        ("name", body["name"]),
        ("workspace", parent["name"]),
        ("subscription", sub),
        ("resourceGroup", rg),
    ]
    spec = CommentedMap([("properties", spec_props)])
    return document.document(KIND, meta, spec), env_vars


def wants_key_names(body: Body) -> bool:
    """A CustomKeys connection's key names are its own: export asks listsecrets for them."""
    return (body.get("properties") or {}).get("authType") == "CustomKeys"


def key_names(secrets_answer: Body) -> list[str] | None:
    """The names of the keys in a listsecrets answer; the values are dropped here."""
    props = secrets_answer.get("properties") or {}
    keys = (props.get("credentials") or {}).get("keys") or {}
    return sorted(keys) if isinstance(keys, dict) else None


CONNECTION = ResourceKind(
    kind=KIND,
    noun="connection",
    collection="connections",
    api_version=API_VERSION,
    schema_file="connection.schema.json",
    other_versions={"2025-09-01": "connection.2025-09-01.schema.json"},
    parent=WORKSPACE,
    server_defaults={"properties.isSharedToAll": False},
    ignored=frozenset({f"properties.metadata.{OWNER_KEY}"}),
    secrets_action="listsecrets",
    secrets_at=("properties",),  # credentials, and the legacy value beside them
    mark=mark,
    export=export,
    wants_key_names=wants_key_names,
    key_names=key_names,
)
