"""Turn manifest files into a :class:`ManifestSet`, or every problem found in them.

Order of work, each step skipped for a document the previous step rejected:
discover files -> parse YAML -> substitute ``${VAR}`` -> check the schema -> apply Defaults
-> check identity and cross-document rules (duplicates, a connection's workspace, the kinds'
own: ``LoadOptions.cross_check``, a project's hub) -> check that secret references resolve.
All problems are collected; none is raised early, so one run shows everything wrong. This
module makes no network call.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import textfile
from reconciler.errors import Position, Problem
from reconciler.manifest import (
    armlimits,
    envsubst,
    schemacheck,
    schemarules,
    secrets,
)
from reconciler.manifest.discover import discover
from reconciler.manifest.model import (
    DEFAULTS,
    PLAYWRIGHT_ACCESS_TOKENS,
    Address,
    Kind,
    ManifestSet,
    PlaywrightAudit,
    ResourceManifest,
    Source,
)
from reconciler.manifest.scope import Scopes
from reconciler.manifest.yamlsource import JsonPath, SourceDocument, read_documents
from reconciler.schemas import versions

MAX_FILE_BYTES = 5 * 1024 * 1024


# Report one problem: the document, the field's path in it, the message.
Report = Callable[[SourceDocument, JsonPath, str], None]
# A cross-document rule of the kinds: given the resource group's resources (with their
# documents) and the names of those left out for their own problems, report what cannot be
# right and return them, references to one another filled in (``ResourceManifest.refs``).
CrossCheck = Callable[
    [list[tuple[ResourceManifest, SourceDocument]], set[str], Report],
    list[tuple[ResourceManifest, SourceDocument]],
]


@dataclass(frozen=True)
class LoadOptions:
    allow_literal_secrets: bool = False
    check_secrets: bool = True
    # Why a Playwright audit's endpoint may not receive a token, or None (reconciler.arm.hosts
    # decides; injected because manifests know nothing of Azure). None here checks nothing.
    playwright_endpoint_check: Callable[[str], str | None] | None = None
    # What ${VAR} may read (envsubst.variables); None: the same mapping as secret references
    # (library callers and tests that pass one environment).
    variables: Mapping[str, str] | None = None
    # The kinds' cross-document rules (reconciler.kinds.cross_check: a Project's hub),
    # injected because manifests sit below the kinds. None checks none of them.
    cross_check: CrossCheck | None = None


@dataclass
class LoadResult:
    manifests: ManifestSet
    problems: list[Problem] = field(default_factory=list)
    documents: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _field(path: JsonPath) -> str:
    return ".".join(str(p) for p in path)


class _Loader:
    def __init__(self, options: LoadOptions, env: Mapping[str, str]) -> None:
        self.options = options
        self.env = env
        self.problems: list[Problem] = []
        # Per document: the variables substituted into it, whose values no message may show.
        self.used: dict[int, envsubst.Used] = {}
        self.scopes = Scopes()

    def report(
        self, doc: SourceDocument, path: JsonPath, message: str, *, key: bool = False
    ) -> None:
        message = envsubst.scrub(message, self.used.get(id(doc), ()))
        self.problems.append(
            Problem(doc.file, doc.position_of(path, key=key), _field(path), message)
        )

    def read(self, files: list[Path]) -> list[SourceDocument]:
        documents: list[SourceDocument] = []
        tags: dict[str, Any] = {}  # plain scalars' tags, this load's (see read_documents)
        for file in files:
            try:
                text = textfile.read_text(file, limit=MAX_FILE_BYTES)
            except textfile.TextFileError as error:
                position = (
                    Position(error.line, error.column) if error.line and error.column else None
                )
                self.problems.append(Problem(file, position, "", error.reason))
                continue
            docs, problems = read_documents(file, text, tags)
            documents.extend(docs)
            self.problems.extend(problems)
        return documents

    def check(self, doc: SourceDocument, api_versions: Mapping[str, str] | None = None) -> bool:
        """Substitute and check one document; ``api_versions``: its Defaults' per kind."""
        if not isinstance(doc.data, dict):
            self.report(
                doc, (), "a manifest document must be a mapping with kind, metadata and spec"
            )
            return False
        before = len(self.problems)
        used: envsubst.Used = self.used.setdefault(id(doc), [])
        variables = self.env if self.options.variables is None else self.options.variables
        doc.data = envsubst.substitute(
            doc.data, variables, lambda path, message: self.report(doc, path, message), used=used
        )
        kind = doc.data.get("kind")
        issues = schemacheck.check(
            doc.data,
            allow_literal_secrets=self.options.allow_literal_secrets,
            api_version=(api_versions or {}).get(kind) if isinstance(kind, str) else None,
        )
        for issue in issues:
            self.report(doc, issue.path, issue.message, key=issue.at_key)
        if len(self.problems) == before:  # limits only make sense on well-formed data
            for limit in armlimits.check(doc.data):
                self.report(doc, limit.path, limit.message, key=limit.at_key)
        return len(self.problems) == before


OWNER_KEY = "managed-by"  # reconciler.plan.ownership.OWNER_KEY (manifests do not import plan)


def _sets_owner_marker(spec: dict[str, Any]) -> bool:
    props = spec.get("properties")
    metadata = props.get("metadata") if isinstance(props, dict) else None
    return isinstance(metadata, dict) and any(str(k).lower() == OWNER_KEY for k in metadata)


def _check_below(
    loader: _Loader,
    doc: SourceDocument,
    defaults: list[SourceDocument],
    broken: list[SourceDocument],
) -> bool:
    """Check ``doc`` at the api-version its Defaults give its kind, a broken one's too (else it
    is reported field by field at another); left out when that version cannot be read."""
    scopes = loader.scopes
    versions = dict(scopes.merged(defaults, doc.file).get("apiVersions") or {})
    data = doc.data if isinstance(doc.data, dict) else {}
    kind, metadata = data.get("kind"), data.get("metadata")
    if isinstance(kind, str) and not (isinstance(metadata, dict) and "apiVersion" in metadata):
        depth = {id(d): scopes.depth(d) for d in (*defaults, *broken)} if broken else {}
        for above in sorted(
            (d for d in broken if scopes.covers(d, doc.file)), key=lambda d: depth[id(d)]
        ):
            spec = above.data.get("spec") if isinstance(above.data, dict) else None
            given = spec.get("apiVersions") if isinstance(spec, dict) else None
            named = given.get(kind) if isinstance(given, dict) else given
            nearer = [d for d in defaults if depth[id(d)] > depth[id(above)]]
            if named is None or kind in scopes.merged(nearer, doc.file).get("apiVersions", {}):
                continue  # it names none for this kind, or a nearer valid Defaults does
            readable = isinstance(given, dict) and isinstance(named, str)
            if not readable or not schemarules.suffix(kind, {}, named):
                return False
            versions[kind] = named
    return loader.check(doc, versions)


def _is_defaults(doc: SourceDocument) -> bool:
    return isinstance(doc.data, dict) and doc.data.get("kind") == DEFAULTS


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a load, back as it was after (commands.planning
    pauses it so while rendering a plan, which makes no cycle either). A load allocates
    hundreds of thousands of containers (nodes, documents, their dicts) and keeps most of them
    to the end, so the collector's passes, set off by allocation counts, free nothing and walk
    an ever larger heap: ~20 % of loading 10,000 documents. A load makes no cycle but the node
    graph of a recursive alias (``&a [*a]``, refused); that waits for a later pass, or stays
    if the process freezes the heap first (reconciler.cli.run does, after loading): memory
    bounded by the size of such files, never kept past the process."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def load(
    paths: Sequence[Path], options: LoadOptions | None = None, env: Mapping[str, str] | None = None
) -> LoadResult:
    with collector_paused():
        return _load(paths, options or LoadOptions(), env)


def _load(paths: Sequence[Path], options: LoadOptions, env: Mapping[str, str] | None) -> LoadResult:
    loader = _Loader(options, os.environ if env is None else env)
    files, discovery_problems = discover(paths)
    loader.problems.extend(discovery_problems)
    documents = loader.read(files)
    if not documents and not loader.problems:
        loader.problems.extend(
            Problem(Path(p), None, "", "no manifest documents found (in *.yaml or *.yml files)")
            for p in paths
        )
    # Defaults first: they may say which api-version the documents below are written for.
    defaults = [d for d in documents if _is_defaults(d) and loader.check(d)]
    # By identity: a document equals no other (its file and index), and ``in`` a list compared
    # every document with every Defaults field by field.
    checked = {id(d) for d in defaults}
    broken = [d for d in documents if _is_defaults(d) and id(d) not in checked]
    valid = [
        doc
        for doc in documents
        if id(doc) in checked
        or (not _is_defaults(doc) and _check_below(loader, doc, defaults, broken))
    ]
    _check_duplicate_defaults(loader, defaults)
    built = _Builder(loader, defaults, broken)
    for doc in valid:
        built.add(doc)
    built.cross_check(documents)
    if options.check_secrets:
        built.check_secret_refs()
    manifests = ManifestSet(
        resources=(*(w for w, _ in built.top), *(c for c, _ in built.children)),
        playwright=tuple(p for p, _ in built.playwright),
        owner=_owner(loader, defaults),
    )
    problems = sorted(
        loader.problems,
        key=lambda p: (
            str(p.file),
            p.position.line if p.position else 0,
            p.position.column if p.position else 0,
        ),
    )
    return LoadResult(manifests, problems, documents=len(documents))


def _owner(loader: _Loader, defaults: list[SourceDocument]) -> str:
    """The one owner of this configuration (Defaults ``owner``); two different ones are an
    error, since --prune would then delete what either marked."""
    owners = [(d, d.data["spec"]["owner"]) for d in defaults if "owner" in d.data["spec"]]
    for doc, owner in owners[1:]:
        if owner != owners[0][1]:
            first = owners[0][0]
            loader.report(
                doc,
                ("spec", "owner"),
                f"differs from the owner set at {first.file}:{first.start.line}: one run has "
                "one owner",
            )
    return str(owners[0][1]) if owners else ""


def _check_duplicate_defaults(loader: _Loader, defaults: list[SourceDocument]) -> None:
    seen: dict[Path, SourceDocument] = {}
    for doc in defaults:
        directory = loader.scopes.directory(doc)
        if directory in seen:
            first = seen[directory]
            loader.report(
                doc,
                ("kind",),
                (
                    f"a second Defaults document for directory {doc.file.parent} "
                    f"(the first is at {first.file}:{first.start.line})"
                ),
            )
        else:
            seen[directory] = doc


class _Builder:
    def __init__(
        self,
        loader: _Loader,
        defaults: list[SourceDocument],
        broken: list[SourceDocument],
    ) -> None:
        self.loader = loader
        self.defaults = defaults
        # Defaults documents that failed their own check (already reported): what they would
        # have set is not reported missing again in every document below them.
        self.broken = broken
        # Resources of a resource group (workspaces), then those that live in one of them
        # (connections, …), in the order declared.
        self.top: list[tuple[ResourceManifest, SourceDocument]] = []
        self.children: list[tuple[ResourceManifest, SourceDocument]] = []
        self.playwright: list[tuple[PlaywrightAudit, SourceDocument]] = []
        self._seen: dict[tuple[str, ...], SourceDocument] = {}

    def add(self, doc: SourceDocument) -> None:
        kind = Kind(doc.data["kind"])
        if kind == DEFAULTS:
            return
        source = Source(doc.file, doc.start.line)
        if kind == PLAYWRIGHT_ACCESS_TOKENS:
            self._add_audit(doc, source)
            return
        address = self._address(doc, kind)
        if address is None:
            return
        if not self._unique(address.key, doc, str(address)):
            return
        spec = self._spec(doc, top=not versions.parent_of(kind))
        if spec is None:
            return
        manifest = ResourceManifest(
            address,
            spec,
            source,
            dict(doc.data["metadata"].get("labels", {})),
            api_version=self._api_version(doc, kind),
            outputs=tuple(doc.data.get("outputs", ())),
        )
        (self.children if versions.parent_of(kind) else self.top).append((manifest, doc))

    def _spec(self, doc: SourceDocument, top: bool) -> dict[str, Any] | None:
        """The document's spec as it is to be sent: a resource group's resource takes its
        location from Defaults; one in a resource carries no owner marker and, where literal
        secrets are allowed, marks them. None: reported."""
        spec = dict(doc.data["spec"])
        if top:
            if "location" not in spec:
                location = self.loader.scopes.merged(self.defaults, doc.file).get("location")
                if location is None and self._under_broken_defaults(doc):
                    return None
                if location is None:
                    self.loader.report(
                        doc,
                        ("spec", "location"),
                        ("is required: set spec.location or a location in a Defaults document"),
                    )
                    return None
                spec = {"location": location, **spec}
            return spec
        if _sets_owner_marker(spec):
            self.loader.report(
                doc,
                ("spec", "properties", "metadata", OWNER_KEY),
                "is reserved: apply writes it to mark what this configuration owns "
                "(--prune deletes by it); remove it from the manifest",
                key=True,
            )
            return None
        if self.loader.options.allow_literal_secrets:
            spec = secrets.wrap_literals(spec)
        return spec

    def _add_audit(self, doc: SourceDocument, source: Source) -> None:
        spec = doc.data["spec"]
        audit = PlaywrightAudit(
            name=doc.data["metadata"]["name"],
            endpoint=spec["endpoint"],
            account_id=spec["accountId"],
            required_tokens=tuple(t["name"] for t in spec.get("requiredTokens", [])),
            warn_before_expiry_days=spec.get("warnBeforeExpiryDays", 14),
            allow_unlisted_tokens=spec.get("allowUnlistedTokens", True),
            source=source,
        )
        check = self.loader.options.playwright_endpoint_check
        reason = check(audit.endpoint) if check is not None else None
        if reason is not None:
            self.loader.report(doc, ("spec", "endpoint"), reason)
            return
        identity = ("PlaywrightAccessTokens", audit.name.lower())
        if self._unique(identity, doc, f"PlaywrightAccessTokens {audit.name!r}"):
            self.playwright.append((audit, doc))

    def _api_version(self, doc: SourceDocument, kind: Kind) -> str:
        """The api-version the document names, else its Defaults' for its kind; empty: the
        kind's default."""
        defaults = self.loader.scopes.merged(self.defaults, doc.file).get("apiVersions", {})
        return str(doc.data["metadata"].get("apiVersion") or defaults.get(kind) or "")

    def _address(self, doc: SourceDocument, kind: Kind) -> Address | None:
        metadata = doc.data["metadata"]
        defaults = self.loader.scopes.merged(self.defaults, doc.file)
        values: dict[str, str] = {}
        for field_name in ("subscription", "resourceGroup"):
            value = metadata.get(field_name) or defaults.get(field_name)
            if not value and self._under_broken_defaults(doc):
                return None
            if not value:
                self.loader.report(
                    doc,
                    ("metadata", field_name),
                    (
                        f"is required: set metadata.{field_name} or {field_name} in a Defaults "
                        "document"
                    ),
                )
                return None
            values[field_name] = value
        return Address(
            kind=kind,
            subscription=values["subscription"],
            resource_group=values["resourceGroup"],
            name=metadata["name"],
            workspace=metadata.get("workspace", ""),
        )

    def _unique(self, identity: tuple[str, ...], doc: SourceDocument, label: str) -> bool:
        first = self._seen.get(identity)
        if first is not None:
            # Point at the first declaration's name, where the user looks, not its document.
            where = first.position_of(("metadata", "name"))
            self.loader.report(
                doc,
                ("metadata", "name"),
                f"{label} is declared twice (also at {first.file}:{where.line}:{where.column})",
            )
            return False
        self._seen[identity] = doc
        return True

    def _under_broken_defaults(self, doc: SourceDocument) -> bool:
        return any(self.loader.scopes.covers(d, doc.file) for d in self.broken)

    def cross_check(self, documents: list[SourceDocument]) -> None:
        """Each child's parent is declared. A parent declared by a document that was left out
        for its own (reported) problem is not reported missing again."""
        built = {id(doc) for _, doc in self.top}
        parents = set(versions.PARENTS.values())
        unbuilt = {
            name.lower()
            for d in documents
            if isinstance(d.data, dict)
            and isinstance(d.data.get("kind"), str)
            and d.data["kind"] in parents
            and id(d) not in built
            and isinstance(name := _name(d), str)
        }
        if self.loader.options.cross_check is not None:
            self.top = self.loader.options.cross_check(
                self.top, unbuilt, lambda doc, path, message: self.loader.report(doc, path, message)
            )
        declared = {w.address.key for w, _ in self.top}
        for child, doc in self.children:
            workspace = child.address.parent(Kind(versions.parent_of(child.address.kind)))
            if workspace.key not in declared and workspace.name.lower() not in unbuilt:
                self.loader.report(
                    doc,
                    ("metadata", "workspace"),
                    (
                        f"workspace {workspace.name!r} in resource group "
                        f"{workspace.resource_group!r} (subscription {workspace.subscription}) "
                        "is not declared in these manifests"
                    ),
                )

    def check_secret_refs(self) -> None:
        for connection, doc in self.children:
            base_dir = doc.file.parent
            for path, ref in secrets.find_refs(connection.spec, ("spec",)):
                reason = secrets.problem(ref, self.loader.env, base_dir)
                if reason is not None:
                    self.loader.report(doc, path, reason)


def _name(doc: SourceDocument) -> Any:
    metadata = doc.data.get("metadata")
    return metadata.get("name") if isinstance(metadata, dict) else None
