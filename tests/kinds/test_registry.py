"""The kinds registry: each resource kind declared once, in its module, and nowhere else.

Reading, planning, applying, rendering and exporting loop over ``KINDS``; these tests pin what
a kind's declaration must hold, and that the code outside ``reconciler/kinds/`` names no kind,
collection or api-version of its own (a new kind would otherwise have to touch it).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from reconciler import kinds, notebook
from reconciler.arm.auth import StaticToken
from reconciler.arm.client import ArmClient
from reconciler.errors import UnsafeUrlError
from reconciler.kinds import KINDS, ResourceKind
from reconciler.manifest.model import Address, Kind
from reconciler.schemas import schemas_dir, versions
from tests.fakes import FakeTime

PACKAGE = Path(kinds.__file__).resolve().parents[1]
SUB = "00000000-1111-2222-3333-444444444444"


def test_parents_come_before_their_children() -> None:
    seen: set[Kind] = set()
    for kind in KINDS:
        assert kind.parent is None or kind.parent.kind in seen, kind
        seen.add(kind.kind)


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_every_kind_declares_what_the_loops_need(kind: ResourceKind) -> None:
    assert kinds.of(kind.kind) is kind
    assert (schemas_dir() / kind.schema_file).is_file()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", kind.api_version)
    assert kind.export is not None
    assert (kind.secrets_action is None) == (not kind.secrets_at)


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_a_path_parses_back_to_the_address_it_was_built_from(kind: ResourceKind) -> None:
    parent = "ws 1" if kind.parent is not None else ""
    address = kind.address(SUB, "rg(1).x", "name#1", parent)
    path = kind.path(address)
    assert "#" not in path and " " not in path
    assert kind.from_id(path.lower()).key == address.key
    with pytest.raises(UnsafeUrlError):
        kind.from_id(path + "/../../x")


def test_a_child_lives_under_its_parent() -> None:
    connection = kinds.of(Kind("Connection"))
    address = Address(Kind("Connection"), SUB, "rg", "c1", "ws1")
    assert connection.path(address).startswith(connection.under(address.parent(Kind("Workspace"))))
    rule = kinds.of(Kind("OutboundRule"))
    assert kinds.children(kinds.of(Kind("Workspace"))) == (connection, rule)


# Outside reconciler/kinds/, what only a kind may know: its api-version, its collection's path
# segment, its schema file, or its name. The schema generator's table of definitions
# (reconciler/schemas/) names each kind once, and the emulator knows nothing of the product.
NOT_YET = ("schemas", "emulator")


def _kind_specific() -> list[str]:
    words = set()
    for kind in KINDS:
        words |= {kind.api_version, kind.schema_file, f"/{kind.collection}"}
        words |= {f'"{kind.kind}"', f"'{kind.kind}'"}
    return sorted(words)


def test_no_module_outside_the_kinds_knows_a_kind() -> None:
    found = []
    for file in sorted(PACKAGE.rglob("*.py")):
        relative = file.relative_to(PACKAGE)
        if relative.parts[0] in ("kinds", *NOT_YET):
            continue
        text = file.read_text(encoding="utf-8")
        found += [f"{relative}: {word}" for word in _kind_specific() if word in text]
    assert found == []


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_a_kind_lives_where_the_manifest_reader_looks_for_its_parent(kind: ResourceKind) -> None:
    """The manifest layer reads any kind generically, from the schema table; that table and the
    registry name the same parent."""
    assert versions.parent_of(kind.kind) == (kind.parent.kind if kind.parent else "")


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_a_kind_speaks_exactly_the_versions_its_schemas_are_generated_for(
    kind: ResourceKind,
) -> None:
    generated = versions.of(kind.kind)
    assert kind.api_versions == tuple(s.api_version for s in generated)
    for source in generated:
        at = kind.at(source.api_version)
        assert (at.api_version, at.schema_file) == (source.api_version, source.file)
        assert at.schema()["title"].endswith(f"api-version {source.api_version})")
    assert kind.at("") is kind and kind.at(kind.api_version) is kind


@pytest.mark.parametrize(("version", "asked"), [("", "2024-04-01"), ("2025-09-01", "2025-09-01")])
def test_the_notebook_token_is_asked_at_the_workspaces_version(version: str, asked: str) -> None:
    """The default (2023-04-01) lacks listNotebookAccessToken, so it is asked at 2024-04-01; a
    workspace written for 2025-09-01 asks at that version, which defines it."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["api-version"])
        return httpx.Response(200, json=NOTEBOOK_TOKEN)

    time = FakeTime()
    client = ArmClient(
        "http://127.0.0.1",
        StaticToken("tok"),
        transport=httpx.MockTransport(answer),
        clock=time,
        sleep=time.sleep,
    )

    async def go() -> None:
        async with client:
            await notebook.fetch(
                client, Address(Kind("Workspace"), SUB, "rg", "ws"), api_version=version
            )

    asyncio.run(go())
    assert seen == [asked]


NOTEBOOK_TOKEN = {
    "hostName": "nb.example",
    "publicDns": "dns",
    "notebookResourceId": "id",
    "tokenType": "Bearer",
    "scope": "s",
    "expiresIn": 3600,
    "accessToken": "eyJ0eXAiOiJKV1QifQ.e30.sig",
    "refreshToken": "refresh-opaque",
}
