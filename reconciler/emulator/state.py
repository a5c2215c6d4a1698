"""What the emulated Azure holds, separate from how it is reached over HTTP.

Keys are lower-cased (ARM names are case-insensitive); stored records keep the casing the
client gave. Provisioning progresses with the injected clock: a record knows when its current
operation ends and how (Succeeded, Failed or Canceled), and :meth:`State.settle` applies that
whenever the record is read, so no background thread is needed and tests control time.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

Key = tuple[str, ...]

TERMINAL = ("Succeeded", "Failed", "Canceled")
# Azure keeps a soft-deleted workspace 14 days (its default retention period), then purges it
# and its name can be used again ("Workspace soft deletion", Azure Machine Learning docs).
SOFT_DELETE_RETENTION_SECONDS = 14 * 24 * 3600


@dataclass
class Operation:
    """An asynchronous operation (PUT or DELETE of a workspace or of an outbound rule)."""

    id: str
    kind: str  # "put" | "delete" (a workspace's) | "rule.put" | "rule.delete"
    resource_key: Key
    resource_id: str
    location: str
    started: float
    ends: float
    outcome: str  # the terminal status it will reach
    error: dict[str, Any] | None = None
    status: str = "InProgress"
    purge: bool = False  # a DELETE with forceToPurge=true: no soft-deleted copy is kept


@dataclass
class WorkspaceRecord:
    body: dict[str, Any]  # what GET returns, minus provisioningState (kept below)
    state: str = "Succeeded"
    operation: str | None = None  # id of the operation in flight
    deleted: bool = False


@dataclass
class ConnectionRecord:
    body: dict[str, Any]  # what GET returns: never holds credentials
    credentials: dict[str, Any] | None = None


@dataclass
class AccessToken:
    id: str
    name: str
    createdAt: str
    expiryAt: str
    state: str
    jwtToken: str


@dataclass
class State:
    resource_groups: dict[Key, str] = field(default_factory=dict)  # key -> given name
    rg_details: dict[Key, dict[str, Any]] = field(default_factory=dict)  # location, tags
    workspaces: dict[Key, WorkspaceRecord] = field(default_factory=dict)
    # Deleted workspaces are kept (soft delete): their names stay taken until purged.
    soft_deleted: dict[Key, dict[str, Any]] = field(default_factory=dict)
    soft_deleted_at: dict[Key, float] = field(default_factory=dict)  # when, for the retention
    connections: dict[Key, ConnectionRecord] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    playwright: dict[str, list[AccessToken]] = field(default_factory=dict)
    # Indexes, so that a request costs the same with 10 or 10,000 resources stored.
    pending: set[str] = field(default_factory=set)  # operations still InProgress
    by_workspace: dict[Key, set[Key]] = field(default_factory=dict)  # workspace -> connections

    def add_operation(self, op: Operation) -> None:
        self.operations[op.id] = op
        if op.status == "InProgress":
            self.pending.add(op.id)

    def put_connection(self, key: Key, record: ConnectionRecord) -> None:
        self.connections[key] = record
        self.by_workspace.setdefault(key[:3], set()).add(key)

    def remove_connection(self, key: Key) -> ConnectionRecord | None:
        self.by_workspace.get(key[:3], set()).discard(key)
        return self.connections.pop(key, None)

    def connections_in(self, workspace: Key) -> list[tuple[Key, ConnectionRecord]]:
        return [(k, self.connections[k]) for k in sorted(self.by_workspace.get(workspace, ()))]

    # -- keys ---------------------------------------------------------------------------------
    @staticmethod
    def rg_key(sub: str, rg: str) -> Key:
        return (sub.lower(), rg.lower())

    @staticmethod
    def ws_key(sub: str, rg: str, ws: str) -> Key:
        return (sub.lower(), rg.lower(), ws.lower())

    @staticmethod
    def conn_key(sub: str, rg: str, ws: str, name: str) -> Key:
        return (sub.lower(), rg.lower(), ws.lower(), name.lower())

    def add_resource_group(self, subscription: str, name: str) -> None:
        self.resource_groups.setdefault(self.rg_key(subscription, name), name)

    def remove_resource_group(self, key: Key) -> None:
        """The group and everything in it."""
        self.resource_groups.pop(key, None)
        self.rg_details.pop(key, None)
        for ws_key in [k for k in self.soft_deleted if k[:2] == key]:
            self.purge(ws_key)
        for ws_key in [k for k in self.workspaces if k[:2] == key]:
            del self.workspaces[ws_key]
            for conn_key in self.by_workspace.pop(ws_key, set()):
                self.connections.pop(conn_key, None)

    # -- provisioning -------------------------------------------------------------------------
    def purge(self, key: Key) -> bool:
        """Forget a soft-deleted workspace (its name is free again); False if there is none."""
        self.soft_deleted_at.pop(key, None)
        return self.soft_deleted.pop(key, None) is not None

    def settle(self, now: float) -> None:
        """Finish every operation whose time has come; purge what outlived its retention."""
        for key, deleted in list(self.soft_deleted_at.items()):
            if now - deleted >= SOFT_DELETE_RETENTION_SECONDS:
                self.purge(key)
        for op_id in list(self.pending):
            op = self.operations[op_id]
            if now < op.ends:
                continue
            self.pending.discard(op_id)
            op.status = op.outcome
            record = self.workspaces.get(op.resource_key)
            if record is None or op.kind not in ("put", "delete"):
                continue  # a child resource's operation changes nothing of its workspace
            if op.kind == "delete" and op.outcome == "Succeeded":
                if not op.purge:
                    self.soft_deleted[op.resource_key] = record.body
                    self.soft_deleted_at[op.resource_key] = op.ends
                del self.workspaces[op.resource_key]
                for key in list(self.by_workspace.pop(op.resource_key, ())):
                    self.connections.pop(key, None)
                continue
            record.state = op.outcome if op.kind == "put" else "Succeeded"
            record.operation = None

    # -- persistence --------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "resource_groups": [[*k, v] for k, v in self.resource_groups.items()],
            "rg_details": [[*k, v] for k, v in self.rg_details.items()],
            "workspaces": [[list(k), asdict(v)] for k, v in self.workspaces.items()],
            "connections": [[list(k), asdict(v)] for k, v in self.connections.items()],
            "soft_deleted": [[list(k), v] for k, v in self.soft_deleted.items()],
            "soft_deleted_at": [[list(k), v] for k, v in self.soft_deleted_at.items()],
            "operations": [
                asdict(op) | {"resource_key": list(op.resource_key)}
                for op in self.operations.values()
            ],
            "playwright": {a: [asdict(t) for t in ts] for a, ts in self.playwright.items()},
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> State:
        state = cls()
        for sub, rg, name in data.get("resource_groups", []):
            state.resource_groups[(sub, rg)] = name
        for sub, rg, details in data.get("rg_details", []):
            state.rg_details[(sub, rg)] = details
        for key, record in data.get("workspaces", []):
            state.workspaces[tuple(key)] = WorkspaceRecord(**record)
        for key, body in data.get("soft_deleted", []):
            state.soft_deleted[tuple(key)] = body
        for key, deleted in data.get("soft_deleted_at", []):
            state.soft_deleted_at[tuple(key)] = float(deleted)
        for key, record in data.get("connections", []):
            state.put_connection(tuple(key), ConnectionRecord(**record))
        for op in data.get("operations", []):
            op = dict(op, resource_key=tuple(op["resource_key"]))
            state.add_operation(Operation(**op))
        for account, tokens in data.get("playwright", {}).items():
            state.playwright[account] = [AccessToken(**t) for t in tokens]
        return state

    def save(self, path: Path) -> None:
        """Atomically (a crash never leaves half a file), readable by its owner only: the
        state holds connection credentials."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.unlink(missing_ok=True)
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(json.dumps(self.dump(), indent=1, sort_keys=True))
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> State:
        return cls.load(json.loads(path.read_text(encoding="utf-8")))

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.dump())
