"""Read the live state of what the manifests declare, with as few calls as the API allows.

Reads follow the kinds (:data:`reconciler.kinds.KINDS`) from parent to child. Per resource
group: one paged list of each top-level kind (or a GET each when only a few are declared); per
existing parent: one paged list of each child kind (workspaces, then their connections), sent
as soon as its parent's group is read (the critical path is one group's list, then its
workspaces' lists: a slow group does not hold up the others' children). A
declared resource a list does not show is read once more with a GET: lists can lag or leave
items out, and only ARM's 404 means absent (a create over an existing resource would wipe it).
A plan over W workspaces with C connections each costs about 2W calls, not W·(1+C). Secrets
are write-only in ARM: when asked to compare them, the kind's secrets action (``listsecrets``)
is called for declared resources that exist and carry credentials; a 403 there turns the
comparison off with a note instead of failing the plan. Every resource read goes into one
map by address (:class:`~reconciler.read.livestate.LiveState`).

Every answer is checked for shape before it is kept (an HTML page or ``[]`` is an error,
never "absent": only ARM's own 404 means that) and explicit nulls are dropped from it, so the
planner, the applier and export see one shape. What the answers mean is the planner's business.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from reconciler import kinds
from reconciler.arm.answers import display
from reconciler.arm.client import ArmClient, Response
from reconciler.errors import ArmAuthError, ArmNotFound, UnreadableAnswer
from reconciler.kinds import ResourceKind
from reconciler.manifest import secrets
from reconciler.manifest.model import Address, ManifestSet, ResourceManifest
from reconciler.read.livestate import LiveState, resource_problem, without_nulls

GET_EACH_UP_TO = 2  # declared top-level resources in one resource group read by GET, not a list


async def read(
    client: ArmClient,
    manifests: ManifestSet,
    *,
    compare_secrets: bool = True,
    settled: Callable[[LiveState, Address], None] | None = None,
) -> LiveState:
    """``settled`` (when given) is called with each declared top-level resource as soon as it
    and everything declared in it are read (as final as they will be: the credentials of
    ``compare_secrets`` excepted, read after all the rest), while other reads go on."""
    live = LiveState()
    versions = {m.address.key: m.api_version for m in manifests.resources}
    declared = _declared_in(manifests)

    # A partial, not a nested function calling itself: that would be a cycle through its
    # closure, holding ``live`` (every body read) until the cyclic collector came by, which a
    # plan's own process pauses (commands.planning); so it is freed with the plan instead.
    subtree = functools.partial(_subtree, client, live, declared, versions)

    async def then(top: Address) -> None:
        await subtree(top)
        if settled is not None:
            settled(live, top)

    await asyncio.gather(
        *(
            _read_top(client, live, kind, manifests, versions, then)
            for kind in kinds.KINDS
            if kind.top
        )
    )
    if compare_secrets:
        await _read_credentials(client, live, manifests)
    live.calls = dict(client.stats.by_kind)
    return live


Then = Callable[[Address], Awaitable[None]]
Declared = dict[tuple[str, tuple[str, ...]], list[Address]]  # (kind, parent's key) -> children


async def _subtree(
    client: ArmClient,
    live: LiveState,
    declared: Declared,
    versions: dict[tuple[str, ...], str],
    parent: Address,
) -> None:
    """The children of a parent just read, of every child kind, at once; theirs next."""
    if live.get(parent):
        again = functools.partial(_subtree, client, live, declared, versions)
        await asyncio.gather(
            *(
                _read_children(client, live, child, declared, versions, parent, again)
                for child in kinds.children(kinds.of(parent.kind))
                if child.listed_where_undeclared or (child.kind, parent.key) in declared
            )
        )


def _declared_in(manifests: ManifestSet) -> Declared:
    """The declared resources of each child kind, by their parent."""
    found: Declared = {}
    for m in manifests.resources:
        kind = kinds.of(m.address.kind)
        if kind.parent is not None:
            key = (kind.kind, kind.parent_address(m.address).key)
            found.setdefault(key, []).append(m.address)
    return found


async def _read_top(
    client: ArmClient,
    live: LiveState,
    kind: ResourceKind,
    manifests: ManifestSet,
    versions: dict[tuple[str, ...], str],
    then: Then,
) -> None:
    """Per resource group and api-version declared in it, one list (or a GET each); the
    children of each resource are read as soon as its group is (the critical path is a
    group's list, then its parents' lists, not every group's list, then every list)."""
    groups: dict[tuple[str, str, str], list[Address]] = {}
    for m in manifests.resources:
        a = m.address
        if a.kind == kind.kind:
            group = (a.subscription.lower(), a.resource_group.lower(), versions[a.key])
            groups.setdefault(group, []).append(a)

    async def one(version: str, members: list[Address]) -> None:
        await _read_group(client, live, kind.at(version), members)
        await asyncio.gather(*(then(a) for a in members))

    await asyncio.gather(
        *(one(version, members) for (_sub, _group, version), members in groups.items())
    )


async def _read_group(
    client: ArmClient, live: LiveState, kind: ResourceKind, members: list[Address]
) -> None:
    if len(members) <= GET_EACH_UP_TO:
        await asyncio.gather(*(_get(client, live, kind, a) for a in members))
        return
    first = members[0]
    url = kind.in_group(first.subscription, first.resource_group)
    try:
        items = await client.list_all(
            url, params={"api-version": kind.api_version}, kind=kind.call("list")
        )
    except ArmNotFound as error:
        items = []
        _note_missing_group(live, first, {"error": {"code": error.code}})
    by_name = {}
    for item in items:
        body = listed(item, url)
        by_name[str(body["name"]).lower()] = body
    missing = [a for a in members if a.name.lower() not in by_name]
    for address in members:
        live.put(address, by_name.get(address.name.lower()))
    # A list may lag behind or leave items out; absence is what ARM's 404 says, not what a
    # list did not mention (a create over an existing workspace would wipe what it holds).
    await asyncio.gather(*(_get(client, live, kind, a) for a in missing))


async def read_groups(
    client: ArmClient, live: LiveState, groups: set[tuple[str, str, str]]
) -> None:
    """Per (kind, subscription, resource group), one list of that top-level kind there, at
    its newest api-version (the one defining the most, ids of others included): what it
    shows that was not read yet goes into ``live`` (undeclared resources beside the declared
    ones; those read already stay as read, at their documents' versions)."""

    async def one(kind: ResourceKind, subscription: str, group: str) -> None:
        url = kind.in_group(subscription, group)
        try:
            items = await client.list_all(
                url, params={"api-version": kind.api_version}, kind=kind.call("list")
            )
        except ArmNotFound:
            return  # the group went away since it was read: nothing stays there
        for item in items:
            body = listed(item, url)
            address = kind.address(subscription, group, str(body["name"]))
            if address.key not in live.resources:
                live.put(address, body)

    await asyncio.gather(
        *(
            one(kinds.of(k).at(max(kinds.of(k).api_versions)), sub, rg)
            for k, sub, rg in sorted(groups)
        )
    )
    live.calls = dict(client.stats.by_kind)


async def _get(client: ArmClient, live: LiveState, kind: ResourceKind, address: Address) -> None:
    """One resource by GET: absent only if ARM's 404 says so."""
    answer = await _get_answer(client, kind, address)
    if answer.status == 404:
        if kind.top:
            _note_missing_group(live, address, answer.body)
        live.put(address, None)
    else:
        live.put(address, _the_one_asked_for(resource(answer.body, answer, "GET"), address, answer))


async def by_id(client: ArmClient, kind: ResourceKind, arm_id: str) -> dict[str, Any] | None:
    """The resource a list named by ``arm_id``, by its own GET at ``kind``'s api-version:
    None only when ARM's 404 says it is not there (deleted since). Another list leaving it
    out says nothing: lists lag behind. The id is parsed, never followed as a URL."""
    address = kind.from_id(arm_id)
    answer = await _get_answer(client, kind, address)
    if answer.status == 404:
        return None
    return _the_one_asked_for(resource(answer.body, answer, "GET"), address, answer)


async def _get_answer(client: ArmClient, kind: ResourceKind, address: Address) -> Response:
    """ARM's answer to a GET of one resource at ``kind``'s api-version, its 404 included."""
    return await client.request(
        "GET",
        kind.path(address),
        params={"api-version": kind.api_version},
        kind=kind.call("get"),
        expect=(404,),
    )


def _the_one_asked_for(body: dict[str, Any], address: Address, answer: Response) -> dict[str, Any]:
    """``body``, if it is the resource the GET asked for (its name, in any case; a child's
    may carry its parent's before a '/'). A cache or proxy answering for another one is an
    unreadable answer: read as this one, a plan would show its fields as changes to make
    (a replacement, for a create-only one) and apply would make them."""
    name = str(body["name"])
    if name.rsplit("/", 1)[-1].lower() != address.name.lower():
        raise UnreadableAnswer(
            f"the answer is another resource: {name[:60]!r} where {address.name!r} was asked for",
            method="GET",
            url=display(answer.url),
            request_id=answer.request_id,
        )
    return body


def _note_missing_group(live: LiveState, address: Address, body: Any) -> None:
    code = ((body or {}).get("error") or {}).get("code") if isinstance(body, dict) else None
    if code == "ResourceGroupNotFound":
        live.missing_resource_groups.add((address.subscription, address.resource_group))


async def _read_children(
    client: ArmClient,
    live: LiveState,
    kind: ResourceKind,
    declared_in: Declared,
    versions: dict[tuple[str, ...], str],
    parent: Address,
    subtree: Callable[[Address], Awaitable[None]],
) -> None:
    """One list per api-version declared in ``parent`` (the default's when none is); a
    declared resource the list did not show is read once more with a GET. Each resource is
    kept as read at its document's version; an undeclared one, at the parent's first (the
    default when declared there). Then their own children."""
    declared = declared_in.get((kind.kind, parent.key), [])
    wanted = sorted({versions[a.key] for a in declared}) or [""]

    def keep(address: Address, version: str, first: str = wanted[0]) -> bool:
        return versions.get(address.key, first) == version

    await asyncio.gather(
        *(_list_children(client, live, kind.at(v), parent, keep, v) for v in wanted)
    )
    unlisted = [a for a in declared if a.key not in live.resources]
    await asyncio.gather(*(_get(client, live, kind.at(versions[a.key]), a) for a in unlisted))
    if kinds.children(kind):  # a task per child only where children can be declared
        await asyncio.gather(*(subtree(a) for a in declared))


async def _list_children(
    client: ArmClient,
    live: LiveState,
    kind: ResourceKind,
    parent: Address,
    keep: Callable[[Address, str], bool],
    version: str,
) -> None:
    """The children of one parent, as read at ``version``: those ``keep`` says are read
    at it."""
    url = kind.under(parent)
    try:
        items = await client.list_all(
            url, params={"api-version": kind.api_version}, kind=kind.call("list")
        )
    except ArmNotFound:
        # The parent went away since it was read, or is being deleted (Azure still shows it,
        # 'Deleting', but not what it held): nothing is listed, and each declared child is
        # then read by GET, whose own 404 says it is absent.
        return
    for item in items:
        body = listed(item, url)
        name = str(body["name"])
        address = kind.address(parent.subscription, parent.resource_group, name, parent.name)
        if keep(address, version):
            live.put(address, body)


async def _read_credentials(client: ArmClient, live: LiveState, manifests: ManifestSet) -> None:
    """The stored secrets of declared resources that exist and declare some: GET never
    returns them. A refusal (403) turns the comparison off with a note."""
    wanted = [
        m
        for m in manifests.resources
        if kinds.of(m.address.kind).secrets_action is not None
        and secrets.has_refs(m.spec)
        and live.get(m.address) is not None
    ]
    forbidden = asyncio.Event()

    async def one(m: ResourceManifest) -> None:
        if forbidden.is_set():
            return
        address = m.address
        kind = kinds.of(address.kind).at(m.api_version)
        try:
            credentials = await _credentials(client, kind, address)
        except ArmAuthError as error:
            if not forbidden.is_set():
                forbidden.set()
                live.secrets_note = (
                    f"secrets were not compared: {kind.secrets_action} was refused "
                    f"({error.code}); a rotated secret will not show as a change"
                )
            return
        live.credentials[address.key] = credentials

    await asyncio.gather(*(one(a) for a in wanted))


async def _credentials(
    client: ArmClient, kind: ResourceKind, address: Address
) -> dict[str, Any] | None:
    assert kind.secrets_action is not None
    answer = await client.request(
        "POST",
        f"{kind.path(address)}/{kind.secrets_action}",
        params={"api-version": kind.api_version},
        kind=kind.call(kind.secrets_action),
    )
    found: Any = resource(answer.body, answer, "POST")
    for part in kind.secrets_at:
        found = found.get(part) if isinstance(found, dict) else None
    if found is not None and not isinstance(found, dict):
        raise UnreadableAnswer(
            f"{'.'.join(kind.secrets_at)!r} is not an object",
            method="POST",
            url=answer.url,
            request_id=answer.request_id,
        )
    # The secrets only (credentials, the legacy value): nothing else of the answer is kept.
    return None if found is None else {k: found[k] for k in secrets.SECRET_FIELDS if k in found}


def resource(body: Any, answer: Response, method: str) -> dict[str, Any]:
    """One resource from an answer, checked for shape, explicit nulls dropped."""
    problem = resource_problem(body)
    if problem is not None:
        raise UnreadableAnswer(
            problem, method=method, url=display(answer.url), request_id=answer.request_id
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
