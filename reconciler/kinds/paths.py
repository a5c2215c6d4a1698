"""ARM paths: every value that becomes part of a path is one percent-encoded segment.

Every value that becomes part of a path — subscription, resource group, workspace, connection,
account — goes through :func:`segment`, and every resource path is built from the segments
here (a kind declares only its collection's name and its parent: :mod:`reconciler.kinds.base`).
Names are validated against their documented patterns long before this, but a path must stay
one path whatever reaches it: a name holding ``/``, ``..``, ``?``, ``#`` or ``://`` (from a
manifest, or from a server's answer) must never address another resource or host.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote, unquote

from reconciler.errors import UnsafeUrlError

PROVIDER = "Microsoft.MachineLearningServices"


def segment(value: str) -> str:
    """One path segment, percent-encoded (``/`` included); ``.``, ``..`` and empty refused."""
    if value in ("", ".", "..") or not value.isprintable():
        raise UnsafeUrlError(f"refusing a path segment {value[:40]!r}: not a resource name")
    return quote(value, safe="")


def resource_group(subscription: str, group: str) -> str:
    return f"/subscriptions/{segment(subscription)}/resourceGroups/{segment(group)}"


def provider_in_group(subscription: str, group: str) -> str:
    """Where the resource provider's resources of one resource group live."""
    return f"{resource_group(subscription, group)}/providers/{PROVIDER}"


def provider_in_subscription(subscription: str) -> str:
    """Where the resource provider's resources of a whole subscription are listed."""
    return f"/subscriptions/{segment(subscription)}/providers/{PROVIDER}"


def playwright_access_tokens(account_id: str) -> str:
    return f"/accounts/{segment(account_id)}/access-tokens"


def _id_pattern(collections: Sequence[str]) -> re.Pattern[str]:
    names = "".join(f"/{re.escape(c)}/([^/?#]+)" for c in collections)
    return re.compile(
        r"/subscriptions/([^/?#]+)/resourceGroups/([^/?#]+)/providers/"
        + re.escape(PROVIDER)
        + names,
        re.IGNORECASE,
    )


def parse_id(arm_id: str, collections: Sequence[str], what: str) -> tuple[str, ...]:
    """The subscription, resource group and names of a resource id a server returned.

    A resource id is data from a response: it is parsed as exactly one id of the resource
    type whose collections (outermost first) are given, its parts decoded, so that the caller
    rebuilds the path segment by segment and never uses the id as a URL.
    """
    match = _id_pattern(collections).fullmatch(arm_id)
    if match is None:
        raise UnsafeUrlError(f"refusing a resource id that is not a {what}'s id")
    return tuple(unquote(part) for part in match.groups())
