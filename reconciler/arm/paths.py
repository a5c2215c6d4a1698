"""Resource paths and the api-versions the reconciler speaks, in one place.

Every value that becomes part of a path — subscription, resource group, workspace, connection,
account — goes through :func:`segment`, which percent-encodes it, and every path is built here.
Names are validated against their documented patterns long before this, but a path must stay
one path whatever reaches it: a name holding ``/``, ``..``, ``?``, ``#`` or ``://`` (from a
manifest, or from a server's answer) must never address another resource or host.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from reconciler.errors import UnsafeUrlError
from reconciler.manifest.model import Address

PROVIDER = "Microsoft.MachineLearningServices"
# The Workspace manifest schema is the 2023-04-01 body (the seed page); connections and the
# notebook token are documented at 2024-04-01.
WORKSPACE_API = "2023-04-01"
CONNECTION_API = "2024-04-01"


def segment(value: str) -> str:
    """One path segment, percent-encoded (``/`` included); ``.``, ``..`` and empty refused."""
    if value in ("", ".", "..") or not value.isprintable():
        raise UnsafeUrlError(f"refusing a path segment {value[:40]!r}: not a resource name")
    return quote(value, safe="")


def resource_group(subscription: str, group: str) -> str:
    return f"/subscriptions/{segment(subscription)}/resourceGroups/{segment(group)}"


def subscription_workspaces(subscription: str) -> str:
    return f"/subscriptions/{segment(subscription)}/providers/{PROVIDER}/workspaces"


def workspaces(subscription: str, group: str) -> str:
    return f"{resource_group(subscription, group)}/providers/{PROVIDER}/workspaces"


def workspace_by_name(subscription: str, group: str, name: str) -> str:
    return f"{workspaces(subscription, group)}/{segment(name)}"


def workspace(address: Address) -> str:
    name = address.workspace if address.workspace else address.name
    return workspace_by_name(address.subscription, address.resource_group, name)


def connections(workspace_address: Address) -> str:
    return f"{workspace(workspace_address)}/connections"


def connection(address: Address) -> str:
    return f"{workspace(address.workspace_address)}/connections/{segment(address.name)}"


def playwright_access_tokens(account_id: str) -> str:
    return f"/accounts/{segment(account_id)}/access-tokens"


_CONNECTION_ID = re.compile(
    r"/subscriptions/([^/?#]+)/resourceGroups/([^/?#]+)/providers/"
    + re.escape(PROVIDER)
    + r"/workspaces/([^/?#]+)/connections/([^/?#]+)",
    re.IGNORECASE,
)


def connection_from_id(arm_id: str) -> str:
    """The path of a connection whose id a server returned, rebuilt segment by segment.

    A resource id is data from a response: it is parsed as exactly one connection id and
    rebuilt through :func:`segment`, never used as a URL.
    """
    match = _CONNECTION_ID.fullmatch(arm_id)
    if match is None:
        raise UnsafeUrlError("refusing a resource id that is not a workspace connection's id")
    sub, group, ws, name = (unquote(part) for part in match.groups())
    return f"{workspace_by_name(sub, group, ws)}/connections/{segment(name)}"
