"""What a plan keeps of a resource, and the digests that let apply notice movement.

The desired state is kept redacted (a secret reference becomes a marker naming its source),
the live state without credentials (a listsecrets answer must never reach a plan), and both
the live resources and the manifests are digested so that a saved plan can be refused when
either moved. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from reconciler import kinds
from reconciler.manifest import secrets
from reconciler.manifest.model import ManifestSet
from reconciler.schemas.node import Node


def redact(spec: Any) -> Any:
    """The spec with every secret reference replaced by a marker naming only its source."""
    ref = secrets.as_ref(spec)
    if ref is not None:
        return f"(sensitive: {ref.describe()})"
    if isinstance(spec, dict):
        return {k: redact(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [redact(v) for v in spec]
    return spec


def strip_credentials(body: Any) -> Any:
    """Live bodies never carry secrets; make sure a listsecrets answer, or a service that
    answers a GET with ``credentials`` or the legacy ``value`` (the fields a manifest may only
    reference), cannot leak into a plan, compared or shown."""
    if not isinstance(body, dict):
        return body
    out = dict(body)
    props = out.get("properties")
    if isinstance(props, dict) and any(f in props for f in secrets.SECRET_FIELDS):
        out["properties"] = {k: v for k, v in props.items() if k not in secrets.SECRET_FIELDS}
    return out


def fingerprint(body: Any, kind: kinds.ResourceKind | None = None) -> str | None:
    """A stable digest of a live resource, to notice it moved between plan and apply.

    Given its ``kind``, what the service sets about itself is left out: read-only fields and
    the statuses it reports (``reported_by_service``, such as a managed network's, which moves
    on its own while the network is set up). Neither is compared nor decides what apply sends
    (the service ignores them in a PUT), so their moving must not make a reviewed plan stale.
    Everything else (what an update carries from the live state) still counts."""
    if body is None:
        return None
    clean = strip_credentials(body)
    if kind is not None:
        clean = _without_service_set(clean, kind.node(), "", kind.reported_by_service)
    if isinstance(clean, dict) and isinstance(clean.get("properties"), dict):
        clean = {
            **clean,
            "properties": {
                k: v for k, v in clean["properties"].items() if k != "provisioningState"
            },
        }
    text = _CANONICAL.encode(clean)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _without_service_set(value: Any, node: Node, path: str, reported: frozenset[str]) -> Any:
    """``value`` without read-only fields and the ``reported`` paths (``*``: any key of a map).
    Fields the schema does not know are kept as they are: an update must not lose them."""
    if isinstance(value, list):
        return [_without_service_set(v, node.items(), path, reported) for v in value]
    if not isinstance(value, dict):
        return value
    node = node.branch(value)
    known, is_map = node.s.get("properties", {}), node.is_map
    out = {}
    for key, item in value.items():
        here = f"{path}.{'*' if is_map else key}" if path else key
        if here in reported:
            continue
        if not is_map and key not in known:
            out[key] = item
            continue
        child = node.child(key)
        if child.flag("readOnly"):
            continue
        nested = isinstance(item, dict | list)
        out[key] = _without_service_set(item, child, here, reported) if nested else item
    return out


# json.dumps(sort_keys=True, separators=(",", ":")), made once: a plan fingerprints every
# resource it read (~20 % less than a new encoder each time).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def manifest_digest(manifests: ManifestSet) -> str:
    """Digest of what is declared (secret references, never values)."""
    # Resolved: a Project's hub reference is part of what it declares. So is the api-version
    # a document is written for, which decides what apply reads and writes (named only when
    # not its kind's default, so the digests of plans without one stay as they were).
    parts = [
        [str(m.address), kinds.resolve(m).spec, *([m.api_version] if m.api_version else [])]
        for m in manifests.resources
    ] + [
        [
            p.name,
            p.endpoint,
            p.account_id,
            list(p.required_tokens),
            p.warn_before_expiry_days,
            p.allow_unlisted_tokens,
        ]
        for p in manifests.playwright
    ]
    text = json.dumps(sorted(parts, key=lambda p: str(p[0]).lower()), sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
