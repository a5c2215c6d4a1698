"""Which Defaults apply to a file: by real path, the nearest directory winning, each path
resolved once per load (a system call per component, asked for by every document)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifest.load import load
from reconciler.manifest.model import Kind

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
