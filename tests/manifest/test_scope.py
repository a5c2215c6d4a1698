"""Which Defaults apply to a file: by real path, the nearest directory winning, each path
resolved once per load (a system call per component, asked for by every document)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifest.load import load
from reconciler.manifest.model import Kind
from reconciler.manifest.scope import Scopes

SUB = "00000000-1111-2222-3333-444444444444"


def _defaults(rg: str, location: str) -> str:
    return (
        f"apiVersion: reconciler/v1\nkind: Defaults\nspec:\n  subscription: {SUB}\n"
        f"  resourceGroup: {rg}\n  location: {location}\n"
    )


def _workspaces(*names: str) -> str:
    return "---\n".join(
        f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: {n}}}\nspec: {{}}\n"
        for n in names
    )


def _placed(result: object) -> dict[str, tuple[str, str]]:
    manifests = result.manifests  # type: ignore[attr-defined]
    return {
        w.address.name: (w.address.resource_group, w.spec["location"])
        for w in manifests.of(Kind("Workspace"))
    }


def _estate(root: Path) -> None:
    """Three Defaults, nested, and ten workspaces at each level."""
    for depth, directory in enumerate((root, root / "a", root / "a" / "b")):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "defaults.yaml").write_text(_defaults(f"rg-{depth}", f"region{depth}"))
        names = [f"ws-{depth}-{i}" for i in range(10)]
        (directory / "ws.yaml").write_text(_workspaces(*names))


def test_each_file_gets_the_nearest_defaults(tmp_path: Path) -> None:
    _estate(tmp_path)
    result = load([tmp_path], env={})
    assert result.ok, [p.render() for p in result.problems]
    placed = _placed(result)
    assert len(placed) == 30
    assert {placed[f"ws-{d}-{i}"] for d in range(3) for i in range(10)} == {
        (f"rg-{d}", f"region{d}") for d in range(3)
    }
    for d in range(3):
        assert placed[f"ws-{d}-7"] == (f"rg-{d}", f"region{d}")


def test_each_path_is_resolved_once_per_load_not_per_document_and_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _estate(tmp_path)
    resolved: list[Path] = []
    resolve = Path.resolve

    def counted(self: Path, strict: bool = False) -> Path:
        resolved.append(self)
        return resolve(self, strict=strict)

    monkeypatch.setattr(Path, "resolve", counted)
    assert load([tmp_path], env={}).ok
    # six files; discovery resolves each too. It was every document times every Defaults,
    # several times over (1,053 here).
    assert len(resolved) <= 2 * 6 + 1, len(resolved)


def test_defaults_apply_by_real_path_through_a_symlinked_directory(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "team").mkdir(parents=True)
    (real / "defaults.yaml").write_text(_defaults("rg-real", "westeurope"))
    (real / "team" / "ws.yaml").write_text(_workspaces("ws-linked"))
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "team").symlink_to(real / "team", target_is_directory=True)
    result = load([real / "defaults.yaml", tmp_path / "repo" / "team"], env={})
    assert result.ok, [p.render() for p in result.problems]
    assert _placed(result) == {"ws-linked": ("rg-real", "westeurope")}


def test_a_second_load_sees_the_files_as_they_are_now(tmp_path: Path) -> None:
    _estate(tmp_path)
    assert _placed(load([tmp_path], env={}))["ws-2-0"] == ("rg-2", "region2")
    (tmp_path / "a" / "b" / "defaults.yaml").unlink()
    (tmp_path / "a" / "defaults.yaml").write_text(_defaults("rg-moved", "regionmoved"))
    placed = _placed(load([tmp_path], env={}))
    assert placed["ws-2-0"] == placed["ws-1-0"] == ("rg-moved", "regionmoved")
    assert placed["ws-0-0"] == ("rg-0", "region0")


def test_what_defaults_give_is_merged_once_per_directory_and_covering_asked_once_a_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files share directories: 1,000 files under five Defaults were 1,000 merges and 5,000
    ``is_relative_to`` (an exception raised and caught for each no)."""
    _estate(tmp_path)
    for depth, directory in enumerate((tmp_path, tmp_path / "a", tmp_path / "a" / "b")):
        (directory / "more.yaml").write_text(_workspaces(*(f"more-{depth}-{i}" for i in range(5))))
    merges: list[Path] = []
    relative: list[Path] = []
    merge, is_relative_to = Scopes._merge, Path.is_relative_to

    def counted_merge(self: Scopes, defaults: list[object], file: Path) -> object:
        merges.append(file)
        return merge(self, defaults, file)  # type: ignore[arg-type]

    def counted_relative(self: Path, *other: Path) -> bool:
        relative.append(self)
        return is_relative_to(self, *other)

    monkeypatch.setattr(Scopes, "_merge", counted_merge)
    monkeypatch.setattr(Path, "is_relative_to", counted_relative)
    result = load([tmp_path], env={})
    assert result.ok, [p.render() for p in result.problems]
    assert _placed(result)["more-2-4"] == ("rg-2", "region2")
    assert len(merges) == 3  # six files, three directories
    # three directories by three Defaults (discovery asks it of each file too)
    assert len([p for p in relative if p.is_dir()]) == 3 * 3
