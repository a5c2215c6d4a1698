"""Read the live state of what the manifests declare, with as few calls as the API allows.

Per resource group: one paged list of workspaces (or a GET each when only a few are
declared); per existing workspace: one paged list of connections. A declared resource a list
does not show is read once more with a GET: lists can lag or leave items out, and only ARM's
404 means absent (a create over an existing resource would wipe it). A plan over W workspaces
with C connections each costs about 2W calls, not W·(1+C). Secrets are write-only in ARM: when
asked to compare them, ``listsecrets`` is called for declared connections that exist and carry
credentials; a 403 there turns the comparison off with a note instead of failing the plan.

Every answer is checked for shape before it is kept (an HTML page or ``[]`` is an error,
never "absent": only ARM's own 404 means that) and explicit nulls are dropped from it, so the
planner, the applier and export see one shape. What the answers mean is the planner's business.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from reconciler.arm import paths
from reconciler.arm.client import ArmClient, Response
from reconciler.errors import ArmAuthError, ArmNotFound, UnreadableAnswer
from reconciler.manifest import secrets
from reconciler.manifest.model import Address, ManifestSet
from reconciler.read.livestate import LiveState, resource_problem, without_nulls

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
    unlisted = [
        c.address
        for c in manifests.connections
        if c.address.workspace_address.key in live.connections
        and c.address.name.lower() not in live.connections[c.address.workspace_address.key]
    ]
    await asyncio.gather(*(_confirm_connection(client, live, a) for a in unlisted))
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
                live.workspaces[address.key] = resource(answer.body, answer, "GET")

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
    url = paths.workspaces(first.subscription, first.resource_group)
    by_name = {}
    for item in items:
        body = listed(item, url)
        by_name[str(body["name"]).lower()] = body
    missing = [a for a in members if a.name.lower() not in by_name]
    for address in members:
        live.workspaces[address.key] = by_name.get(address.name.lower())
    # A list may lag behind or leave items out; absence is what ARM's 404 says, not what a
    # list did not mention (a create over an existing workspace would wipe what it holds).
    await asyncio.gather(*(_confirm_workspace(client, live, a) for a in missing))


async def _confirm_workspace(client: ArmClient, live: LiveState, address: Address) -> None:
    answer = await client.request(
        "GET",
        paths.workspace(address),
        params={"api-version": paths.WORKSPACE_API},
        kind="workspace.get",
        expect=(404,),
    )
    if answer.status == 404:
        _note_missing_group(live, address, answer.body)
        live.workspaces[address.key] = None
    else:
        live.workspaces[address.key] = resource(answer.body, answer, "GET")


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
    bodies = [listed(item, paths.connections(address)) for item in items]
    live.connections[address.key] = {str(b["name"]).lower(): b for b in bodies}


async def _confirm_connection(client: ArmClient, live: LiveState, address: Address) -> None:
    """A declared connection the list did not show: absent only if ARM's 404 says so."""
    answer = await client.request(
        "GET",
        paths.connection(address),
        params={"api-version": paths.CONNECTION_API},
        kind="connection.get",
        expect=(404,),
    )
    if answer.status != 404:
        body = resource(answer.body, answer, "GET")
        live.connections[address.workspace_address.key][address.name.lower()] = body


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
        body = resource(answer.body, answer, "POST")
        credentials = (body.get("properties") or {}).get("credentials")
        if credentials is not None and not isinstance(credentials, dict):
            raise UnreadableAnswer(
                "'properties.credentials' is not an object",
                method="POST",
                url=answer.url,
                request_id=answer.request_id,
            )
        live.credentials[address.key] = credentials

    await asyncio.gather(*(one(a) for a in wanted))


def resource(body: Any, answer: Response, method: str) -> dict[str, Any]:
    """One resource from an answer, checked for shape, explicit nulls dropped."""
    problem = resource_problem(body)
    if problem is not None:
        raise UnreadableAnswer(
            problem, method=method, url=_path(answer.url), request_id=answer.request_id
        )
    clean = without_nulls(body)
    assert isinstance(clean, dict)
    return clean


def listed(item: Any, url: str) -> dict[str, Any]:
    """One item of a list, checked for shape, explicit nulls dropped."""
    problem = resource_problem(item)
    if problem is not None:
        raise UnreadableAnswer(
            f"an item of the list: {problem}", method="GET", url=url, request_id=None
        )
    clean = without_nulls(item)
    assert isinstance(clean, dict)
    return clean


def _path(url: str) -> str:
    return urlsplit(url).path or url
