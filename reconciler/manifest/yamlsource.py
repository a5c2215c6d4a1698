"""Read YAML documents into plain data, keeping where every key and value was written.

ruamel.yaml's C composer builds the node graph (fast, with line and column marks); this module
turns nodes into JSON-like values itself instead of using a constructor, because it must:

* remember the position of every key and value, so an error can name ``file:line:column``;
* reject duplicate keys, non-string keys and custom tags (on scalars, mappings and sequences
  alike) with that position;
* refuse nesting deeper than :data:`MAX_DEPTH` *before* composing: the C composer recurses
  on the C stack, and some 30,000 ``[`` (60 KB) crash the process instead of raising;
* bound alias expansion ("billion laughs"): an alias is a reference to a node, and expanding
  it naively can produce exponentially many values from a few lines;
* resolve scalars by the YAML 1.2 core schema and keep timestamps as the text written, since
  ARM expects ISO 8601 strings, not datetimes.

It runs once per scalar of every manifest before a plan sends its first request, so its per-node
work is kept small (see yamlcompose and bench/README.md).

It raises nothing for bad input: problems are returned as values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.tag import Tag

from reconciler.errors import Position, Problem
from reconciler.manifest import yamlcompose
from reconciler.manifest.yamlcompose import compose_all, composer

# One document may expand to at most this many values; real manifests are a few hundred.
MAX_NODES_PER_DOCUMENT = 20_000
MAX_DEPTH = 64

JsonPath = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_COLLECTION_TAGS = (_TAG + "seq", _TAG + "map")
_NULL, _BOOL, _INT, _FLOAT, _MERGE = (_TAG + t for t in ("null", "bool", "int", "float", "merge"))
_TEXT_TAGS = (_TAG + "str", _TAG + "timestamp", _TAG + "binary")
_KEY_TAGS = (_TAG + "str", _INT, _BOOL, _NULL, _FLOAT)
# A line starts after any break the C parser knows (``\r`` alone, and NEL, LS and PS too),
# not only after ``\n``: a file broken by ``\r`` would otherwise be one line to the screen
# below and its nesting unchecked until the composer's recursion overflowed the C stack (a
# segmentation fault, no message).
_BREAK = "\r\n\x85\u2028\u2029"
# One line break, as the C parser counts them.
_LINE_BREAK = re.compile(rf"\r\n|[{_BREAK}]")
# A document marker line, with the line break before it (see _may_nest_deeper_than).
_DOCUMENT_MARKER = re.compile(rf"[{_BREAK}](?:---|\.\.\.)(?=[ \t{_BREAK}]|\Z)")


# Where a document's values and keys were written, by path: (values, keys).
_Located = tuple[dict[JsonPath, Position], dict[JsonPath, Position]]


@dataclass
class SourceDocument:
    """One YAML document: its plain data and where each part of it was written."""

    file: Path
    index: int
    data: Any
    start: Position
    # Where the rest was written: worked out when first asked for (see _FilePositions).
    positions: _FilePositions | None = field(default=None, repr=False, compare=False)

    @property
    def values(self) -> dict[JsonPath, Position]:
        """Where each value was written (an alias's path: where it was first reached)."""
        return self._located()[0]

    @property
    def keys(self) -> dict[JsonPath, Position]:
        """Where each mapping key was written."""
        return self._located()[1]

    def _located(self) -> _Located:
        return self.positions.of(self.index) if self.positions is not None else ({}, {})

    def position_of(self, path: JsonPath, *, key: bool = False) -> Position:
        """Best position for ``path``: its key or value, else the nearest ancestor."""
        values, keys = self._located()
        probe = path
        while True:
            found = (keys.get(probe) if key else None) or values.get(probe)
            if found is not None:
                return found
            if not probe:
                return self.start
            probe = probe[:-1]


class _FilePositions:
    """Where the values and keys of one file's documents were written, worked out on first use.

    Only a problem to report asks (a valid manifest never does), and recording a position
    for every key and value while reading cost ~40 % of building the documents, and their
    memory. Asked once, the file's text is composed again, the documents built again the
    same way, now recording positions: the same nodes in the same order give the same maps.
    """

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._found: dict[int, _Located] | None = None

    def of(self, index: int) -> _Located:
        # The text is read before the map and dropped after the map is published, so a
        # thread that finds no text finds the map; two threads asking first both work it
        # out, alike, and either's is kept.
        text, found = self._text, self._found
        if found is None:
            assert text is not None
            found = self._locate(text)
            self._found = found
            self._text = None
        return found.get(index, ({}, {}))

    @staticmethod
    def _locate(text: str) -> dict[int, _Located]:
        found: dict[int, _Located] = {}
        try:
            for at, node in _documents(text, {}):
                located: _Located = ({}, {})
                try:
                    _Builder(located).build(node, ())
                except (_Bad, RecursionError):
                    continue  # not a document read: never asked for
                found[at] = located
        except (YAMLError, RecursionError):
            pass  # where reading stopped too: the documents before it are all there
        return found


class _Bad(Exception):
    """Internal: aborts construction of one document with a positioned message."""

    def __init__(self, node: Node, path: JsonPath, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.path = path


def _pos(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _scalar(tag: str | None, text: str) -> Any:
    if tag in _TEXT_TAGS:  # most scalars: asked first
        return text
    if tag == _NULL:
        return None
    if tag == _BOOL:
        lowered = text.lower()
        if lowered not in ("true", "false"):  # only an explicit !!bool can hold anything else
            raise ValueError(f"{text!r} is not a boolean (true or false)")
        return lowered == "true"
    if tag == _INT:
        cleaned = text.replace("_", "")
        # A sign comes before a base's prefix (``-0o17`` is -15), as ruamel's own reading has it.
        # One sign only: ``+-0x10`` is no number (int() below says so, as ruamel does).
        sign = -1 if cleaned.startswith("-") else 1
        digits = cleaned[1:] if cleaned.startswith(("+", "-")) else cleaned
        for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
            if digits.lower().startswith(prefix):
                return sign * int(digits[2:], base)
        return int(cleaned)
    if tag == _FLOAT:
        lowered = text.lower()
        if lowered in (".nan", ".inf", "+.inf", "-.inf"):
            return text  # not representable in JSON: leave it to schema validation
        return float(text.replace("_", ""))
    raise ValueError(f"unsupported YAML tag {tag!r}")


def _distinct_values(root: Node) -> int:
    """How many values the document holds, each counted once however many aliases name it
    (counting stops past the budget): asked only of a document over it, to say why."""
    seen = {id(root)}
    todo = [root]
    while todo and len(seen) <= MAX_NODES_PER_DOCUMENT:
        node = todo.pop()
        if isinstance(node, MappingNode):
            children = [value for _, value in node.value]  # keys are no values
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        else:
            continue
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                todo.append(child)
    return len(seen)


class _Builder:
    """Plain data from one document's nodes; given ``located``, also where each value and key
    was written (asked for only when there is a problem to report: see _FilePositions)."""

    def __init__(self, located: _Located | None = None) -> None:
        self.located = located
        self.budget = MAX_NODES_PER_DOCUMENT
        self.root: Node | None = None  # the document's, to tell what made it too large

    def _spend(self, node: Node, path: JsonPath) -> None:
        """One more value, or one more merge source (an empty mapping merged builds no value,
        yet each level of ``<<: [*e, *e]`` doubles the work), within the document's budget."""
        self.budget -= 1
        if self.budget < 0:
            if self.root is not None and _distinct_values(self.root) <= MAX_NODES_PER_DOCUMENT:
                why = (
                    "through aliases repeating aliases (a manifest holds a few hundred): write "
                    "fewer of them"
                )
            else:  # large in itself: splitting it is what helps
                why = "(a manifest holds a few hundred): split it into documents"
            raise _Bad(
                node,
                path,
                f"document expands to more than {MAX_NODES_PER_DOCUMENT} values {why}; "
                "refusing to expand it",
            )

    def build(self, node: Node, path: JsonPath) -> Any:
        if not path:
            self.root = node
        self._spend(node, path)
        if len(path) > MAX_DEPTH:
            raise _Bad(node, path, f"nesting deeper than {MAX_DEPTH} levels")
        if self.located is not None:
            values = self.located[0]
            if path not in values:  # an alias may reach a path again: its first position stays
                values[path] = _pos(node)
        # node.tag, once per node and inline: that property makes a string of the node's Tag
        # (ctag) through two more Python calls, str() and then trval, which this reads itself.
        tag = None if (ctag := node.ctag) is None else f"{ctag.trval}"
        if isinstance(node, ScalarNode):
            try:
                return _scalar(tag, node.value)
            except ValueError as exc:
                raise _Bad(node, path, str(exc)) from None
        if isinstance(node, SequenceNode | MappingNode) and tag not in _COLLECTION_TAGS:
            # e.g. !!python/object/apply:os.system [...]: never silently read as plain data.
            raise _Bad(node, path, f"unsupported YAML tag {tag!r}")
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        raise _Bad(node, path, f"unsupported YAML node {type(node).__name__}")

    def _mapping(self, node: MappingNode, path: JsonPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        keys = self.located[1] if self.located is not None else None
        for key_node, value_node in node.value:
            tag = None if (ctag := key_node.ctag) is None else f"{ctag.trval}"  # key_node.tag
            if tag == _MERGE:
                merged.update(self._merge_sources(value_node, path))
                continue
            if not isinstance(key_node, ScalarNode) or tag not in _KEY_TAGS:
                raise _Bad(key_node, path, "mapping keys must be plain strings")
            key = str(key_node.value)
            key_path = (*path, key)
            if key in out:
                # Built without positions, the document is built again with them (read_documents)
                # for this message: which line the first was on.
                first = keys[key_path].line if keys is not None else 0
                raise _Bad(
                    key_node,
                    key_path,
                    (f"duplicate key {key!r} (first defined at line {first})"),
                )
            if keys is not None:
                keys[key_path] = _pos(key_node)
            out[key] = self.build(value_node, key_path)
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def _merge_sources(self, node: Node, path: JsonPath) -> dict[str, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        result: dict[str, Any] = {}
        for source in reversed(sources):
            if not isinstance(source, MappingNode):
                raise _Bad(source, path, "a merge key (<<) must refer to a mapping")
            self._spend(source, path)
            result.update(self._mapping(source, path))
        return result


def _may_nest_deeper_than(text: str, limit: int) -> bool:
    """A cheap upper bound on nesting, per document (a ``---`` or ``...`` line at column 0
    ends any scalar or collection): flow collections need at most two a bracket, block ones (at
    most two per column, e.g. a sequence at its key's indentation) need indentation or
    ``- ``/``? `` prefixes. Only documents this cannot clear pay for the exact check.

    A document's brackets leave room for line prefixes up to some length: one search for a
    longer one answers. Lines are found by their line break (a line break put first makes
    the first line of the text, and of each document, follow one): a search for ``^`` tries
    every position and took ~10x as long."""
    for document in _DOCUMENT_MARKER.split("\n" + text):
        # Two a bracket: in a flow sequence, ``[a: `` opens a sequence and a one-pair mapping.
        flow = 2 * (document.count("[") + document.count("{"))
        if flow > limit:
            return True
        # flow + 2 * block + 2 > limit, for the longest prefix (block) of any line
        shortest = (limit - 2 - flow) // 2 + 1
        if shortest <= 0 or _line_prefix_of(shortest).search("\n" + document):
            return True
    return False


@cache
def _line_prefix_of(length: int) -> re.Pattern[str]:
    """A line that starts with at least ``length`` of what may open a block collection."""
    # A byte order mark is skipped at the start of any line, like indentation (libyaml).
    return re.compile(rf"[{_BREAK}][ \t?:\-\ufeff]{{{length},}}")


def _too_deep(file: Path, text: str) -> Problem | None:
    """Where nesting first goes past the limit, found from parser events (no recursion, so
    no crash) and stopping there; None when it never does or a syntax error comes first
    (composing reports that one)."""
    limit = MAX_DEPTH + 1  # collections, counting the document's own
    if not _may_nest_deeper_than(text, limit):
        return None
    depth = 0
    try:
        for event in composer().parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > limit:
                    return Problem(
                        file, _mark(event.start_mark), "", f"nesting deeper than {MAX_DEPTH} levels"
                    )
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except (YAMLError, RecursionError):
        return None
    return None


def _mark(mark: object) -> Position | None:
    line, column = getattr(mark, "line", None), getattr(mark, "column", None)
    return (
        Position(line + 1, column + 1)
        if isinstance(line, int) and isinstance(column, int)
        else None
    )


def _documents(text: str, tags: dict[str, Tag]) -> Iterator[tuple[int, Node]]:
    """Each document's root node with its index, empty documents (e.g. after a trailing
    '---') skipped; YAML errors are raised where they come."""
    index = 0
    for node in compose_all(text, tags):
        if node is None or (isinstance(node, ScalarNode) and node.tag == _TAG + "null"):
            continue
        yield index, node
        index += 1


def read_documents(
    file: Path, text: str, tags: dict[str, Tag] | None = None
) -> tuple[list[SourceDocument], list[Problem]]:
    """Parse every document in ``text``; a syntax error ends the file at that point.

    ``tags``: plain scalars' tags remembered across the files of one load (see
    yamlcompose.Yaml12Resolver); by default this file's alone."""
    documents: list[SourceDocument] = []
    problems: list[Problem] = []
    deep = _too_deep(file, text)
    if deep is not None:
        return documents, [deep]
    positions = _FilePositions(text)
    nodes = _documents(text, {} if tags is None else tags)
    while True:
        try:
            index, node = next(nodes)
        except StopIteration:
            break
        except MarkedYAMLError as exc:
            problems.append(_syntax_problem(file, exc))
            break
        except (YAMLError, RecursionError) as exc:
            problems.append(_unmarked_problem(file, text, exc))
            break
        start = _pos(node)
        try:
            data = _Builder().build(node, ())
        except (_Bad, RecursionError):
            problems.append(_build_problem(file, node, start))
            continue
        documents.append(SourceDocument(file, index, data, start, positions))
    return documents, problems


def _build_problem(file: Path, node: Node, start: Position) -> Problem:
    """Why a document cannot be read: it is built again recording positions, which only the
    message about a duplicate key needs (where the first was), and fails the same way."""
    try:
        _Builder(({}, {})).build(node, ())
    except _Bad as bad:
        field_path = ".".join(str(p) for p in bad.path)
        return Problem(file, _pos(bad.node), field_path, str(bad))
    except RecursionError:
        pass
    return Problem(file, start, "", "document nests too deeply")


def _unmarked_problem(file: Path, text: str, exc: BaseException) -> Problem:
    """Errors raised before parsing (e.g. control characters) carry an offset: in bytes of
    the UTF-8 text from the C parser, in characters from ruamel's own."""
    offset = getattr(exc, "position", None)
    position = None
    if isinstance(offset, int):
        if yamlcompose.offsets_in_bytes():
            offset = len(text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "ignore"))
        line, start = 1, 0
        for found in _LINE_BREAK.finditer(text, 0, offset):
            line, start = line + 1, found.end()
        position = Position(line, offset - start + 1)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Problem(file, position, "", f"YAML error: {first}")


def _syntax_problem(file: Path, exc: MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    position = Position(mark.line + 1, mark.column + 1) if mark is not None else None
    detail = " ".join(part for part in (exc.context, exc.problem) if part)
    return Problem(file, position, "", f"YAML syntax error: {detail or exc}")
