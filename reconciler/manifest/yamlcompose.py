"""Compose YAML text into ruamel's nodes by the YAML 1.2 core schema, cheaply.

yamlsource builds plain data from these nodes; this module is only the step before it, kept
apart because it is where ruamel's per-scalar costs were cut (see :class:`Yaml12Resolver`
and bench/README.md): a manifest's every scalar passes through it before a plan's first
request.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from ruamel.yaml import YAML

# The C parser YAML() takes (None without ruamel.yaml.clib), which main.py does not re-export.
from ruamel.yaml.main import CParser  # type: ignore[attr-defined]
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

_Rule = tuple[Tag, Callable[[str], object]]


class Yaml12Resolver(VersionedResolver):
    """ruamel.yaml's resolver with its YAML 1.2 rules looked up once, not once per scalar.

    ``VersionedResolver.resolve`` asks ``processing_version`` for the version twice per plain
    scalar; on the C parser's loader that is two failed attribute lookups (raised and caught)
    before it falls back to the version set on the YAML instance, 1.2 — about 40 % of
    composing a manifest. The C parser never reports a ``%YAML`` directive to the resolver, so
    1.2 is the only version it has ever answered here: this resolver takes ruamel's own 1.2
    rules (same regular expressions, same first-character index, same order) once and matches
    with them. tests/manifest/test_yamlsource.py pins the tricky scalars.

    A manifest repeats its plain scalars (keys, kinds, subscriptions): each text's tag is
    matched once and remembered in ``tags`` (up to :data:`TAGS_REMEMBERED` texts), a map its
    caller owns and drops: one load's, never the process's, for the texts include any
    literal a manifest holds.
    """

    # ruamel's C composer calls these before and after every node, for path resolvers
    # (add_path_resolver), which are never added here (resolve below does not consult them):
    # as Python methods returning at once they cost ~40 ms of 10,000 documents. Builtins that
    # do nothing of note cost no Python frame; the composer ignores what they return.
    descend_resolver = operator.is_  # type: ignore[assignment]  # (parent, index)
    ascend_resolver = tuple  # type: ignore[assignment]  # ()

    # (rules by first character, rules for any first character): made by the first instance,
    # shared by all (one YAML instance per file).
    _table: ClassVar[tuple[dict[str, list[_Rule]], list[_Rule]] | None] = None

    def __init__(self, version: Any = None, loader: Any = None, loadumper: Any = None) -> None:
        super().__init__(version, loader, loadumper)
        if Yaml12Resolver._table is None:
            Yaml12Resolver._table = self._rules_of(self.versioned_resolver)
        self._rules, self._anywhere = Yaml12Resolver._table
        self.tags: dict[str, Tag] = {}

    @staticmethod
    def _rules_of(
        rules: dict[str | None, list[tuple[str, Any]]],
    ) -> tuple[dict[str, list[_Rule]], list[_Rule]]:
        """ruamel's resolve appends the rules for any first character (key None) to those for
        the scalar's first character ("" for an empty scalar). One tag object per rule; each
        rule's regular expression is a lazy proxy, so its match method is taken once."""
        anywhere = [(Tag(suffix=tag), regexp.match) for tag, regexp in rules.get(None, [])]
        by_first = {
            first: [(Tag(suffix=tag), regexp.match) for tag, regexp in listed] + anywhere
            for first, listed in rules.items()
            if first is not None
        }
        return by_first, anywhere

    @property
    def processing_version(self) -> tuple[int, int]:
        return _YAML_VERSION

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """ruamel's answers (VersionedResolver.resolve) without its path resolvers: a quoted
        scalar is a string, a collection what its kind is, a plain scalar what its text is."""
        if kind is not ScalarNode:
            if kind is MappingNode:
                return self.DEFAULT_MAPPING_TAG
            return self.DEFAULT_SEQUENCE_TAG if kind is SequenceNode else None
        if not implicit[0]:
            return self.DEFAULT_SCALAR_TAG
        tags = self.tags
        found = tags.get(value)
        if found is None:
            found = self._match(value)
            if len(tags) < TAGS_REMEMBERED:
                tags[value] = found
        return found

    def _match(self, value: str) -> Tag:
        for tag, matches in self._rules.get(value[:1], self._anywhere):
            if matches(value):
                return tag
        return self.DEFAULT_SCALAR_TAG


_YAML_VERSION = (1, 2)
# How many plain scalars' tags a load remembers (see Yaml12Resolver).
TAGS_REMEMBERED = 20_000


def composer() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.version = _YAML_VERSION
    yaml.Resolver = Yaml12Resolver
    return yaml


if CParser is not None:

    class _CComposer(CParser, Yaml12Resolver):  # type: ignore[misc]
        """The loader ``composer().compose_all`` makes, less the constructor it never uses
        (nodes are built here), made once: YAML() globs for plug-ins and get_constructor_parser
        makes a new loader class per file, ~140 µs a file (0.14 s of 1,000 files)."""

        def __init__(self, text: str, tags: dict[str, Tag]) -> None:
            CParser.__init__(self, text)
            self._parser = self._composer = self
            Yaml12Resolver.__init__(self, version=_YAML_VERSION, loadumper=self)
            self.tags = tags


def compose_all(text: str, tags: dict[str, Tag]) -> Iterator[Node]:
    """Every document's root node (None for an empty stream's), as YAML.compose_all yields them."""
    if CParser is None:  # ruamel's pure-Python parser, which YAML() chooses then
        yield from composer().compose_all(text)
        return
    loader = _CComposer(text, tags)
    try:
        while loader.check_node():
            yield loader.get_node()
    finally:
        loader.dispose()
        # The loader refers to itself (as its parser, composer and resolver's owner): left so,
        # it and its buffers wait for the collector, which a load pauses (manifest.load).
        loader.__dict__.clear()


def offsets_in_bytes() -> bool:
    """Whether a reader error's offset counts bytes of the UTF-8 text (the C parser's do)
    rather than characters (ruamel's pure-Python reader's)."""
    return CParser is not None
