"""Which Defaults documents apply to a manifest file: those in its directory and in the
directories above it, compared by real path (a symlinked directory counts where it points);
the nearest directory wins.

One :class:`Scopes` serves one load. Resolving a path costs a system call per component, and
every document asks which Defaults apply to it several times (to pick the api-version it is
checked at, then for its address, location and api-version), each time over every Defaults
document: 1,200 documents under five Defaults took ~50,000 resolves, about a second of
``validate``. Here each path is resolved once and each file's Defaults merged once. Paths are
not expected to move during a load; a later load starts afresh. Files share directories:
what Defaults give a file is worked out once per real directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reconciler.manifest.yamlsource import SourceDocument


class Scopes:
    def __init__(self) -> None:
        self._real: dict[Path, Path] = {}
        self._folder: dict[Path, Path] = {}
        self._covered: dict[tuple[Path, Path], bool] = {}
        self._merged: dict[tuple[Path, tuple[int, ...]], dict[str, Any]] = {}

    def real(self, path: Path) -> Path:
        """``path.resolve()``, resolved once per load."""
        found = self._real.get(path)
        if found is None:
            found = self._real[path] = path.resolve()
        return found

    def folder(self, file: Path) -> Path:
        """The real directory of ``file``, once per load."""
        found = self._folder.get(file)
        if found is None:
            found = self._folder[file] = self.real(file).parent
        return found

    def directory(self, doc: SourceDocument) -> Path:
        """The real directory of the file holding ``doc``: where its Defaults apply from."""
        return self.folder(doc.file)

    def depth(self, doc: SourceDocument) -> int:
        return len(self.directory(doc).parts)

    def covers(self, defaults: SourceDocument, file: Path) -> bool:
        """Whether the Defaults document ``defaults`` applies to ``file``: whether the file's
        real path is below its directory, which (a directory, never the file) is whether the
        file's real directory is that one or below it. Answered once per pair of directories:
        files share them, and ``is_relative_to`` raises and catches an exception for each no."""
        key = (self.folder(file), self.directory(defaults))
        found = self._covered.get(key)
        if found is None:
            found = self._covered[key] = key[0].is_relative_to(key[1])
        return found

    def merged(self, defaults: Sequence[SourceDocument], file: Path) -> dict[str, Any]:
        """What ``defaults`` give ``file``: from its directory and its parents, the nearest
        directory winning (for ``apiVersions``, kind by kind). Merged once per real directory
        (which of them cover a file and how deep they are depend on nothing else); shared: not
        to be changed."""
        key = (self.folder(file), tuple(map(id, defaults)))
        found = self._merged.get(key)
        if found is None:
            found = self._merged[key] = self._merge(defaults, file)
        return found

    def _merge(self, defaults: Sequence[SourceDocument], file: Path) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        applicable = [d for d in defaults if self.covers(d, file)]
        applicable.sort(key=self.depth)
        for doc in applicable:
            spec = doc.data.get("spec", {})
            versions = {**merged.get("apiVersions", {}), **spec.get("apiVersions", {})}
            merged.update(spec)
            if versions:
                merged["apiVersions"] = versions
        return merged
