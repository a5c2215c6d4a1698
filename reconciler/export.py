"""Adopt existing resources: write them out as manifests.

One file per top-level resource (a workspace; its connections beside it, in the same file),
keys in a stable order, read-only fields and server defaults left out, ARM IDs as ARM returned
them, and every credential replaced by ``{fromEnv: NAME}`` with NAME derived from the resource
and listed at the top of the file. The secret values are never written, even when the caller
could read them: the kind's secrets action (``listsecrets``) is used only to learn the names of
a CustomKeys connection's keys. Each kind writes its own documents
(:attr:`~reconciler.kinds.base.ResourceKind.export`, helpers in :mod:`reconciler.kinds.document`);
this module reads and lays them out.

Without ``--api-version`` a document is written at its kind's default api-version where that
version expresses the live resource, else at the one that does (named in its
``metadata.apiVersion``): a hub's or a project's ``kind``, fixed at creation and which a
workspace's default api-version cannot write (a hub re-created without it would be a Default
workspace), a managed network or ``enableDataIsolation``, a connection's category ``Pinecone``
that the default's schema refuses. The generated schemas decide, never a list of what each
version lacks. Fields no api-version defines (server-only ones such as
``sdkTelemetryAppInsightsKey``, a newer service's) are left out — the ones whose loss would
matter are named in the file's header. An export asked for at a version that cannot write what
the service fixed at a resource's creation is refused. A resource read again at another
version's list that this list leaves out is read with its own GET at that version (lists lag
behind): only ARM's 404 there leaves it out, saying so on stderr; any other failure fails the
export, named: never an export silently without it.

Re-exporting an unchanged resource writes an identical file, so exports diff cleanly in git.
"""

from __future__ import annotations

import asyncio
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.emitter import Emitter

from reconciler import kinds
from reconciler.arm.client import ArmClient
from reconciler.errors import ArmAuthError, OutputError, UnreadableAnswer, UsageError
from reconciler.kinds import ResourceKind, paths
from reconciler.kinds.document import env_name, scope
from reconciler.manifest import schemacheck
from reconciler.plan.writeback import uncarried
from reconciler.read.live import by_id, listed, resource
from reconciler.render import safe

__all__ = ["ExportedFile", "Tree", "env_name", "files_for", "read", "render_file"]

Body = dict[str, Any]


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    text: str
    env_vars: tuple[tuple[str, str], ...]  # (variable, what it must hold)


@dataclass(frozen=True)
class Tree:
    """A top-level resource as read for export, with what lives in it."""

    kind: ResourceKind
    body: Body
    # Each child with the kind (at the api-version) it is written at, per child kind.
    children: tuple[tuple[ResourceKind, Body], ...]
    key_names: dict[tuple[str, str], list[str] | None]  # (kind, name) -> its stored keys' names

    def sorted_children(self) -> list[tuple[ResourceKind, Body]]:
        """Per child kind in registry order, by name: whatever api-version each is read at."""
        order = [k.kind for k in kinds.children(self.kind)]
        return sorted(
            self.children,
            key=lambda c: (order.index(c[0].kind), str(c[1].get("name", "")).lower()),
        )


class _Emitter(Emitter):
    """YAML allows implicit keys up to 1024 characters; ruamel switches to the complex-key
    form (``? key``) at 128, which ARM IDs used as keys (``userAssignedIdentities``) pass."""

    MAX_SIMPLE_KEY_LENGTH = 1024


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Emitter = _Emitter
    yaml.width = 4096  # ARM IDs stay on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.default_flow_style = False
    return yaml


def _export(kind: ResourceKind, body: Body, parent: Body | None, names: Any) -> Any:
    """The kind's document; one read at another api-version than its kind's default names
    it (``metadata.apiVersion``), so plan and apply speak that version too."""
    assert kind.export is not None, f"{kind} declares no export"
    document, env_vars = kind.export(kind, body, parent, names)
    _literal(document)
    if kind.api_version != kinds.of(kind.kind).api_version:
        document["metadata"]["apiVersion"] = kind.api_version
    return document, env_vars


def _literal(node: Any) -> None:
    """Write every ``${`` of a value as ``$${``, in place: in a manifest ``${NAME}`` is a
    variable, and a value read from Azure (a shell snippet in a description) is a literal.
    Keys are never substituted, so they stay as they are."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        if isinstance(value, str) and "${" in value:
            node[key] = value.replace("${", "$${")
        elif isinstance(value, (dict, list)):
            _literal(value)


def at_version(kind: ResourceKind, api_version: str) -> ResourceKind:
    """``kind`` speaking ``api_version`` where it has it (empty: its default), else its own:
    an outbound rule has only its own."""
    return kind.at(api_version) if api_version in kind.api_versions else kind


def api_versions() -> list[str]:
    """Every api-version ``export --api-version`` may name."""
    return sorted({v for kind in kinds.KINDS for v in kind.api_versions})


def render_file(tree: Tree) -> tuple[str, list[tuple[str, str]]]:
    document, env_vars = _export(tree.kind, tree.body, None, None)
    documents = [document]
    for kind, body in tree.sorted_children():
        names = tree.key_names.get((kind.noun, str(body["name"])))
        document, asked = _export(kind, body, tree.body, names)
        documents.append(document)
        env_vars += asked
    header = [f"# Exported by `reconciler export` from {tree.body['id']}."]
    lost = _not_exported(tree)
    if lost:
        header.append(
            "# Not exported, as the api-versions written here cannot carry them (an update by "
            "this tool refuses to remove them; --strict removes them):"
        )
        header += [f"#   {name}: {', '.join(fields)}" for name, fields in lost]
    if env_vars:
        header.append(
            "# Credentials are not exported. Set these variables (from your secret "
            "store) before plan or apply:"
        )
        header += [f"#   {name}: {what}" for name, what in env_vars]
    stream = io.StringIO()
    _yaml().dump_all(documents, stream)
    return "\n".join(_comment(line) for line in header) + "\n" + stream.getvalue(), env_vars


def _comment(line: str) -> str:
    """One header line kept one comment line: the ids and names in it are the service's, and a
    line break in one would turn the rest into YAML of the exported manifest."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in line)


def _not_exported(tree: Tree) -> list[tuple[str, list[str]]]:
    """Per resource, the live fields left out that hold something (see plan.writeback)."""
    found = []
    for kind, body in [(tree.kind, tree.body), *tree.sorted_children()]:
        fields = uncarried(body, kind.node(), fixed=True)
        if fields:
            found.append((f"{kind.noun} {body['name']} (api-version {kind.api_version})", fields))
    return found


async def _key_names(
    client: ArmClient, kind: ResourceKind, collection: str, body: Body
) -> list[str] | None:
    """The names of a resource's stored keys (never their values), or None if refused."""
    assert kind.secrets_action is not None and kind.key_names is not None
    try:
        answer = await client.request(
            "POST",
            f"{collection}/{paths.segment(str(body['name']))}/{kind.secrets_action}",
            params={"api-version": kind.api_version},
            kind=kind.call(kind.secrets_action),
        )
    except ArmAuthError:
        return None
    return kind.key_names(resource(answer.body, answer, "POST"))


async def _tree(client: ArmClient, top: ResourceKind, body: Body, api_version: str) -> Tree:
    sub, rg = scope(body)
    address = top.address(sub, rg, str(body["name"]))
    children: list[tuple[ResourceKind, Body]] = []
    names: dict[tuple[str, str], list[str] | None] = {}
    for kind in (at_version(k, api_version) for k in kinds.children(top)):
        collection = kind.under(address)
        items = await client.list_all(
            collection, params={"api-version": kind.api_version}, kind=kind.call("list")
        )
        made = kind.made_by_service
        # What the service made itself is never declared, so never exported.
        bodies = [
            child
            for child in (listed(item, collection) for item in items)
            if made is None or not made(child)
        ]
        placed = await _placed(client, kind, collection, bodies, api_version, body)
        children += placed
        for at, child in placed:
            if at.wants_key_names is not None and at.wants_key_names(child):
                key = (at.noun, str(child["name"]))
                names[key] = await _key_names(client, at, collection, child)
    return Tree(top, body, tuple(children), names)


async def read(
    client: ArmClient,
    subscription: str,
    resource_group: str | None,
    workspace: str | None,
    *,
    api_version: str = "",
) -> list[Tree]:
    """Every top-level resource of the subscription (or one resource group), optionally only
    the one named ``workspace``, with what lives in it; read and written at ``api_version``
    where a kind has it (empty: each kind's default)."""
    trees: list[Tree] = []
    for top in (at_version(k, api_version) for k in kinds.KINDS if k.top):
        if resource_group:
            url = top.in_group(subscription, resource_group)
        else:
            url = top.in_subscription(subscription)
        items = await client.list_all(
            url, params={"api-version": top.api_version}, kind=top.call("list")
        )
        bodies = [_scoped(listed(item, url), url) for item in items]
        if workspace:
            bodies = [b for b in bodies if str(b.get("name", "")).lower() == workspace.lower()]
        placed = await _placed(client, top, url, bodies, api_version, None)
        trees += await asyncio.gather(*(_tree(client, k, b, api_version) for k, b in placed))
    return trees


def _fixed_lost(kind: ResourceKind, body: Body) -> list[str]:
    """What the service fixed at the resource's creation (a workspace's ``kind``: Hub,
    Project) that ``kind``'s api-version cannot write: a resource re-created from the export
    would lose it (a hub would come back a Default workspace)."""
    return [f for f in uncarried(body, kind.node(), fixed=True) if f in kind.kept_by_service]


def _misses(kind: ResourceKind, body: Body, parent: Body | None) -> tuple[int, bool, int]:
    """What the document written at ``kind``'s api-version would miss of ``body``: how many
    fields fixed at its creation it cannot write (a hub's kind), whether validate would
    refuse it (a value only another version allows: a connection's category ``Pinecone``),
    and how many live fields it leaves out (a managed network). The generated schemas
    decide, never a list of what each version lacks."""
    lost = uncarried(body, kind.node(), fixed=True)
    fixed = [f for f in lost if f in kind.kept_by_service]
    document, _ = _export(kind, body, parent, None)
    return len(fixed), not schemacheck.is_valid(document), len(lost)


def _version_for(base: ResourceKind, body: Body, parent: Body | None) -> str:
    """The api-version to write ``body`` at: its kind's default where that expresses it,
    else the one missing least of it (the earliest of those)."""
    if _misses(base, body, parent) == (0, False, 0):
        return base.api_version
    return min(base.api_versions, key=lambda v: _misses(base.at(v), body, parent))


async def _placed(
    client: ArmClient,
    kind: ResourceKind,
    url: str,
    bodies: list[Body],
    api_version: str,
    parent: Body | None,
) -> list[tuple[ResourceKind, Body]]:
    """Each resource listed at ``url`` (in ``parent``) with the kind, at an api-version, it
    is written at: ``kind``, or where ``kind``'s version cannot express it, the one that
    does (:func:`_version_for`), the resource read again at it (one list per such version,
    whatever the number of resources), so the default export round-trips. An
    ``api_version`` asked for is never changed: a resource it cannot re-create is refused.

    One the second list leaves out is read by its own GET (:func:`_left_out`)."""
    base = kinds.of(kind.kind)
    if api_version in base.api_versions:
        _refuse_lost(kind, bodies)
        return [(kind, body) for body in bodies]
    placed: list[tuple[ResourceKind, Body]] = []
    again: dict[str, dict[str, Body]] = {}  # version -> lowercased id -> as first listed
    for body in bodies:
        version = _version_for(base, body, parent)
        if version == kind.api_version:
            placed.append((kind, body))
        else:
            again.setdefault(version, {})[str(body["id"]).lower()] = body
    for version, ids in sorted(again.items()):
        at = base.at(version)
        items = await client.list_all(url, params={"api-version": version}, kind=at.call("list"))
        read = [listed(item, url) for item in items]
        found = {str(body["id"]).lower() for body in read}
        placed += [(at, body) for body in read if str(body["id"]).lower() in ids]
        missing = [body for i, body in ids.items() if i not in found]
        placed += [(at, body) for body in await _left_out(client, at, kind.api_version, missing)]
    return placed


async def _left_out(
    client: ArmClient, at: ResourceKind, first: str, missing: list[Body]
) -> list[Body]:
    """The resources the first list (at ``first``) named and the list at ``at``'s api-version
    left out, each read by its own GET at that version: those found.

    A list lagging behind leaves out what exists; a GET's 404 from ARM itself is what says
    a resource was deleted meanwhile: that one alone is left out, named on stderr, never
    silently. Any other failure (an unreadable answer: a proxy's page) fails the export, as
    what cannot be read is never absent: an export is what a platform team commits as the
    estate (and then plans and prunes from), and one missing a production workspace is an
    estate without it. Writing nothing and saying so costs a rerun."""
    read = await asyncio.gather(*(by_id(client, at, str(body["id"])) for body in missing))
    for body, now in zip(missing, read, strict=True):
        if now is None:
            print(
                safe.terminal(
                    f"note: {at.noun} {str(body['name'])[:60]!r} ({body['id']}) not exported: "
                    f"listed at api-version {first}, then not found at {at.api_version} "
                    "(404: deleted meanwhile)"
                ),
                file=sys.stderr,
            )
    return [now for now in read if now is not None]


def _refuse_lost(top: ResourceKind, bodies: list[Body]) -> None:
    """Refuse an export at ``top``'s api-version, asked for, that would silently write
    resources without what the service fixed at their creation (hubs and projects as
    Default workspaces)."""
    base = kinds.of(top.kind)
    lost = [(body, fields) for body in bodies if (fields := _fixed_lost(top, body))]
    if not lost:
        return
    field = lost[0][1][0]
    named = ", ".join(f"{body['name']} ({_value(body, fields[0])})" for body, fields in lost)
    versions = sorted(
        {v for body, _ in lost for v in base.api_versions if not _fixed_lost(base.at(v), body)}
    )
    instead = base.assumed_when_absent.get(field, "another")
    raise UsageError(
        _comment(
            f"--api-version {top.api_version} cannot write the {field} of {top.noun} {named}: "
            f"re-created from the export, each would be a {instead} {top.noun}. Export at "
            f"{' or '.join(versions) or 'another api-version'}, or without --api-version "
            "(each document then names the api-version that writes it)"
        )
    )


def _value(body: Body, path: str) -> Any:
    """The member of ``body`` at the dotted ``path`` (None where absent)."""
    value: Any = body
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _scoped(body: Body, url: str) -> Body:
    """A listed top-level resource whose id names its subscription and resource group: its
    file's directory and its children's paths come from them."""
    try:
        scope(body)
    except (ValueError, IndexError):
        raise UnreadableAnswer(
            f"the id of {str(body['name'])[:60]!r} names no subscription and resource group",
            method="GET",
            url=url,
            request_id=None,
        ) from None
    return body


def files_for(out: Path, exported: list[Tree]) -> list[ExportedFile]:
    """``OUT/<resource group>/<name>.yaml`` per tree; both parts come from the service's
    answer, so each must be one plain file name (never ``..``, ``/`` or an absolute path)."""
    files = []
    for tree in sorted(exported, key=lambda t: str(t.body["id"]).lower()):
        _, rg = scope(tree.body)
        text, env_vars = render_file(tree)
        where = out / _file_name(rg) / f"{_file_name(str(tree.body['name']))}.yaml"
        files.append(ExportedFile(where, text, tuple(env_vars)))
    return files


def _file_name(part: str) -> str:
    """``part`` of a served answer as one file name inside the export directory, or refused."""
    if part in ("", ".", "..") or "/" in part or "\\" in part or not part.isprintable():
        raise OutputError(
            f"refusing to export {part[:60]!r} from the service's answer: not a file name"
        )
    return part
