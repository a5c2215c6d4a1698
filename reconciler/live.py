"""Read the live state of what the manifests declare, with as few calls as the API allows.

Per resource group: one paged list of workspaces (or a GET each when only a few are
declared); per existing workspace: one paged list of connections. A plan over W workspaces
with C connections each costs about 2W calls, not W·(1+C). Secrets are write-only in ARM: when
asked to compare them, ``listsecrets`` is called for declared connections that exist and carry
credentials; a 403 there turns the comparison off with a note instead of failing the plan.

This module does I/O and nothing else: what the answers mean is the planner's business.
"""

from __future__ import annotations

import asyncio
from typing import Any

from reconciler.arm import paths
from reconciler.arm.client import ArmClient
from reconciler.errors import ArmAuthError, ArmNotFound
from reconciler.livestate import LiveState
from reconciler.manifest import secrets
from reconciler.manifest.model import Address, ManifestSet

GET_EACH_UP_TO = 2  # declared workspaces in one resource group read by GET instead of a list


async def read(
    client: ArmClient, manifests: ManifestSet, *, compare_secrets: bool = True
) -> LiveState:
    live = LiveState()
    groups: dict[tuple[str, str], list[Address]] = {}
    for ws in manifests.workspaces:
        a = ws.address
        groups.setdefault((a.subscription.lower(), a.resource_group.lower()), []).append(a)
    await asyncio.gather(*(_read_group(client, live, members) for members in groups.values()))
    existing = [ws.address for ws in manifests.workspaces if live.workspaces.get(ws.address.key)]
    await asyncio.gather(*(_read_connections(client, live, a) for a in existing))
    if compare_secrets:
        await _read_credentials(client, live, manifests)
    live.calls = dict(client.stats.by_kind)
    return live


async def _read_group(client: ArmClient, live: LiveState, members: list[Address]) -> None:
    first = members[0]
    params = {"api-version": paths.WORKSPACE_API}
    if len(members) <= GET_EACH_UP_TO:

        async def one(address: Address) -> None:
            answer = await client.request(
                "GET", paths.workspace(address), params=params, kind="workspace.get", expect=(404,)
            )
            if answer.status == 404:
                _note_missing_group(live, address, answer.body)
                live.workspaces[address.key] = None
            else:
                live.workspaces[address.key] = answer.body

        await asyncio.gather(*(one(a) for a in members))
        return
    try:
        items = await client.list_all(
            paths.workspaces(first.subscription, first.resource_group),
            params=params,
            kind="workspace.list",
        )
    except ArmNotFound as error:
        items = []
        _note_missing_group(live, first, {"error": {"code": error.code}})
    by_name = {str(item.get("name", "")).lower(): item for item in items}
    for address in members:
        live.workspaces[address.key] = by_name.get(address.name.lower())


def _note_missing_group(live: LiveState, address: Address, body: Any) -> None:
    code = ((body or {}).get("error") or {}).get("code") if isinstance(body, dict) else None
    if code == "ResourceGroupNotFound":
        live.missing_resource_groups.add((address.subscription, address.resource_group))


async def _read_connections(client: ArmClient, live: LiveState, address: Address) -> None:
    items = await client.list_all(
        paths.connections(address),
        params={"api-version": paths.CONNECTION_API},
        kind="connection.list",
    )
    live.connections[address.key] = {str(i.get("name", "")).lower(): i for i in items}


async def _read_credentials(client: ArmClient, live: LiveState, manifests: ManifestSet) -> None:
    wanted = []
    for conn in manifests.connections:
        if not any(True for _ in secrets.find_refs(conn.spec)):
            continue
        existing = live.connections.get(conn.address.workspace_address.key, {})
        if conn.address.name.lower() in existing:
            wanted.append(conn.address)
    forbidden = asyncio.Event()

    async def one(address: Address) -> None:
        if forbidden.is_set():
            return
        try:
            answer = await client.request(
                "POST",
                paths.connection(address) + "/listsecrets",
                params={"api-version": paths.CONNECTION_API},
                kind="connection.listsecrets",
            )
        except ArmAuthError as error:
            if not forbidden.is_set():
                forbidden.set()
                live.secrets_note = (
                    f"secrets were not compared: listsecrets was refused ({error.code}); a "
                    "rotated secret will not show as a change"
                )
            return
        props = (answer.body or {}).get("properties") or {}
        live.credentials[address.key] = props.get("credentials")

    await asyncio.gather(*(one(a) for a in wanted))
