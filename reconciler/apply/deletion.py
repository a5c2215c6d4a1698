"""Delete one resource and know it is gone: for destroy, for ``--prune`` and for a replacement.

* The URL comes from the plan's address, never from an id a server returned; that id (of the
  live body the plan read) must name the same resource, or nothing is deleted.
* ``409 AnotherOperationInProgress`` is waited out (:mod:`reconciler.apply.conflict`); a
  long-running delete is followed to its end (:mod:`reconciler.apply.lro`), like a PUT.
* Only the resource itself proves it gone: after an operation that ended (or is unknown, 404)
  the resource must read 404, or the delete failed. A resource already gone is deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.apply import conflict
from reconciler.apply.lro import OperationTimeout, follow
from reconciler.arm.client import ArmClient
from reconciler.errors import ArmNotFound, ReconcilerError, UnsafeUrlError
from reconciler.kinds import ResourceKind
from reconciler.manifest.model import Address


def address_of(kind: ResourceKind, address: str) -> Address:
    """The address a plan's address string names (``Kind/sub/group[/parent]/name``)."""
    if kind.parent is None:
        _kind, sub, group, name = address.split("/", 3)
        return kind.address(sub, group, name)
    _kind, sub, group, parent, name = address.split("/", 4)
    return kind.address(sub, group, name, parent)


async def delete(
    client: ArmClient,
    kind: ResourceKind,
    address: str,
    before: Any,
    *,
    params: Mapping[str, str],
    timeout: float,
    command: str,
    track: Callable[[str], None] = lambda operation: None,
    progress: Callable[[str], None] | None = None,
) -> None:
    """DELETE the resource at the plan's ``address`` (``before``: its live body as the plan
    read it; ``params`` beside api-version) and return once it reads 404; a ReconcilerError
    when it is not gone. ``command`` is what to rerun after a timeout."""
    url = kind.path(address_of(kind, address))
    live_id = before.get("id") if isinstance(before, dict) else None
    if not live_id or kind.path(kind.from_id(str(live_id))).lower() != url.lower():
        raise UnsafeUrlError(
            f"the live {kind.noun}'s id does not name the {kind.noun} the plan deletes"
        )
    track(f"DELETE {url} sent, no answer yet")
    first = await conflict.send(
        client,
        "DELETE",
        url,
        params={"api-version": kind.api_version, **params},
        kind=kind.call("delete"),
        expect=(404,),
    )
    if first.status != 202 and not _operation_url(first.headers):
        return  # 200 or 204: deleted; 404: already gone
    name = address.rsplit("/", 1)[-1]
    try:
        outcome = await follow(
            client,
            first,
            url,
            kind.api_version,
            what=f"deleting {kind.noun} {name}",
            timeout=timeout,
            progress=progress,
            on_operation=track,
            method="DELETE",
        )
    except ArmNotFound:
        outcome = None  # a 404 while polling: the resource's (gone) or the operation's
    except OperationTimeout as late:  # it says what to rerun
        raise OperationTimeout(late.what, late.waited, late.url, command=command) from None
    if outcome is not None and outcome.body is None:
        return  # the operation ended and the resource reads 404: gone
    still = await client.request(
        "GET", url, params={"api-version": kind.api_version}, kind=kind.call("get"), expect=(404,)
    )
    if still.status != 404:
        raise ReconcilerError(
            f"Azure answered the delete of {kind.noun} {name}, but it is still there "
            f"(recreated or recovered meanwhile?); rerun {command} to delete it"
        )


def _operation_url(headers: Any) -> bool:
    return bool(headers.get("azure-asyncoperation") or headers.get("location"))
