"""Nothing the reference pages document is silently dropped from the generated schemas.

The seed pages are plain text copied from the REST reference. These tests read the lists they
contain (enum values, properties of each definition) and look for each one in the schemas.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.schemas import load_schema


def _enum_values(text: str, title: str) -> list[str]:
    """Values of the enum definition ``title``: the table of (value, "string") rows under it."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line == title and "Name Type Description" in lines[i + 1 : i + 3]:
            rows = lines[lines.index("Name Type Description", i) + 1 :]
            values = []
            while len(rows) >= 2 and rows[1] == "string":
                values.append(rows[0])
                rows = rows[2:]
            return values
    raise AssertionError(f"no enum table {title!r} in the seed")


def _all_strings(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            found |= _all_strings(value)
    elif isinstance(node, list):
        for value in node:
            found |= _all_strings(value)
    elif isinstance(node, str):
        found.add(node)
    return found


@pytest.fixture(scope="module")
def connection_page(seeds_dir: Path) -> str:
    return (seeds_dir / "workspace-connections-create.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def workspace_page(seeds_dir: Path) -> str:
    return (seeds_dir / "workspaces-create-or-update.txt").read_text(encoding="utf-8")


def test_every_connection_category_in_the_seed_is_in_the_schema(connection_page: str) -> None:
    seed = _enum_values(connection_page, "ConnectionCategory")
    assert len(seed) == 102
    schema = load_schema("connection.schema.json")["$defs"]["ConnectionCategory"]["enum"]
    assert sorted(seed) == sorted(schema)


def test_every_auth_type_in_the_seed_is_a_branch_of_the_schema(connection_page: str) -> None:
    seed = _enum_values(connection_page, "ConnectionAuthType")
    assert len(seed) == 12
    base = load_schema("connection.schema.json")["$defs"]["WorkspaceConnectionPropertiesV2"]
    branches = {b["if"]["properties"]["authType"]["const"] for b in base["allOf"]}
    assert branches == set(seed)


def test_every_connection_definition_and_property_in_the_seed_is_present(
    connection_page: str,
) -> None:
    schema = load_schema("connection.schema.json")
    names = _all_strings(schema)
    defs = set(schema["$defs"])
    listed = re.findall(
        r"^(\w+(?:AuthType|Auth)\w*WorkspaceConnectionProperties|"
        r"WorkspaceConnection\w+)$",
        connection_page,
        flags=re.M,
    )
    assert listed
    defs.add("WorkspaceConnectionPropertiesV2BasicResource")  # the schema's root
    missing = sorted(set(listed) - defs)
    assert not missing, missing
    for prop in (
        "category",
        "target",
        "authType",
        "credentials",
        "expiryTime",
        "isSharedToAll",
        "sharedUserList",
        "metadata",
        "valueFormat",
        "createdByWorkspaceArmId",
        "group",
        "value",
        "pat",
        "sas",
        "key",
        "keys",
        "clientSecret",
        "securityToken",
        "developerToken",
        "refreshToken",
        "authUrl",
        "accessKeyId",
        "secretAccessKey",
        "resourceId",
        "username",
        "password",
    ):
        assert prop in connection_page, prop
        assert prop in names, prop


def test_every_workspace_property_in_the_seed_is_present(workspace_page: str) -> None:
    schema = load_schema("workspace.schema.json")
    props = schema["$defs"]["WorkspaceProperties"]["properties"]
    # The Workspace definition is the last section of the page.
    workspace_section = workspace_page.rsplit("\nWorkspace\n", 1)[1]
    seeded = set(re.findall(r"^properties\.(\w+)$", workspace_section, flags=re.M))
    assert len(seeded) >= 25
    missing = sorted(seeded - set(props))
    assert not missing, missing
    everywhere = set(re.findall(r"^properties\.(\w+)$", workspace_page, flags=re.M))
    assert everywhere <= _all_strings(schema), everywhere - _all_strings(schema)
    for top in ("identity", "location", "sku", "tags", "id", "name", "type", "systemData"):
        assert top in schema["properties"], top


@pytest.mark.parametrize(
    "title",
    [
        "ManagedServiceIdentityType",
        "PublicNetworkAccess",
        "SkuTier",
        "EncryptionStatus",
        "PrivateEndpointServiceConnectionStatus",
        "ProvisioningState",
        "createdByType",
    ],
)
def test_workspace_enums_in_the_seed_are_complete(workspace_page: str, title: str) -> None:
    seed = _enum_values(workspace_page, title)
    assert seed, title
    strings = _all_strings(load_schema("workspace.schema.json"))
    assert set(seed) <= strings, set(seed) - strings
