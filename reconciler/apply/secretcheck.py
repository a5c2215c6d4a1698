"""Detect a secret that changed between ``plan --out`` and ``apply --plan``, without the saved
plan holding the secret or anything that makes guessing it cheap.

A reviewed plan says "no change" for a connection's credentials because the value it read
matched Azure's. If the referenced variable or file changes before ``apply --plan``, apply
would send a value nobody reviewed. So the saved plan carries a *stamp* per connection, and
apply recomputes it from the values it is about to send; a different stamp refuses the plan.

Why this construction (and not a hash or an HMAC):

* A plain hash of the value lets anyone who can read the plan file (a CI artifact, a PR
  comment's attachment; often more people than may read the secret) test guesses offline at
  billions per second; weak secrets (passwords, short PATs) fall.
* An HMAC needs a key both jobs know and plan readers do not. ``plan`` and ``apply`` usually
  run as separate CI jobs that share nothing but the manifests, the plan file and the secrets
  themselves; a key stored in the plan is just a salt, and no such key can be assumed to exist.
* So the stamp is a memory-hard, salted KDF — scrypt (N=2**14, r=8, p=1: the scrypt paper's
  interactive setting, ~16 MiB and tens of milliseconds per evaluation) — over *all* of a
  connection's secret fields together, salted by a random per-plan nonce and the connection's
  address. The nonce makes every plan's stamps unrelated (no precomputed tables, no linking of
  equal secrets across plans or connections); the KDF makes each guess cost what a login
  costs; and hashing a connection's fields together means a strong field (a client secret)
  protects the weaker ones beside it (a client id, a tenant id), which cannot be tested alone.

The price is one scrypt per connection with secrets, paid only by ``plan --out`` and
``apply --plan``. A connection whose secrets did not resolve when the plan was made has no
stamp and is not checked (that plan compared nothing either; its diff says so).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1
SecretKey = tuple[tuple[str, ...], str]  # (connection address key, dotted path in its spec)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _grouped(values: Mapping[SecretKey, str]) -> dict[str, list[tuple[str, str]]]:
    by_connection: dict[str, list[tuple[str, str]]] = {}
    for (address, path), value in values.items():
        by_connection.setdefault("/".join(address), []).append((path, value))
    return by_connection


def _digest(nonce: bytes, connection: str, fields: list[tuple[str, str]]) -> bytes:
    material = json.dumps(sorted(fields), ensure_ascii=False).encode("utf-8")
    return hashlib.scrypt(
        material,
        salt=nonce + b"\0" + connection.encode("utf-8"),
        n=N,
        r=R,
        p=P,
        maxmem=64 * 1024 * 1024,
        dklen=32,
    )


def stamp(values: Mapping[SecretKey, str], *, nonce: bytes | None = None) -> dict[str, Any]:
    """The stamp to save with a plan: no value, nothing cheap to test a guess against."""
    nonce = nonce if nonce is not None else os.urandom(16)
    return {
        "scheme": SCHEME,
        "n": N,
        "r": R,
        "p": P,
        "nonce": _b64(nonce),
        "connections": {
            connection: _b64(_digest(nonce, connection, fields))
            for connection, fields in sorted(_grouped(values).items())
        },
    }


def changed(saved: Any, values: Mapping[SecretKey, str]) -> list[str]:
    """Connections (as address keys joined by '/') whose secrets differ from the stamp.

    A stamp of another scheme or shape is treated as changed whole: better to plan again
    than to apply a value the plan cannot vouch for.
    """
    current = _grouped(values)
    if not isinstance(saved, dict):
        return ["(the saved plan's secret stamp is unreadable)"]
    connections = saved.get("connections")
    try:
        if (saved.get("scheme"), saved.get("n"), saved.get("r"), saved.get("p")) != (
            SCHEME,
            N,
            R,
            P,
        ) or not isinstance(connections, dict):
            raise ValueError("unknown stamp scheme")
        nonce = base64.b64decode(str(saved.get("nonce")), validate=True)
    except ValueError:
        return ["(the saved plan's secret stamp is unreadable)"]
    differ = []
    for connection, digest in sorted(connections.items()):
        fields = current.get(connection)
        expected = _digest(nonce, connection, fields) if fields else b""
        if not isinstance(digest, str) or not hmac.compare_digest(_b64(expected), digest):
            differ.append(connection)
    return differ
