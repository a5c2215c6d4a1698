"""A resource declared twice: both places are named by the line of their name."""

from __future__ import annotations

from pathlib import Path

from reconciler.manifest.load import LoadOptions, load

DOC = """apiVersion: reconciler/v1
kind: Workspace
metadata:
  subscription: 00000000-1111-2222-3333-444444444444
  resourceGroup: rg-1
  name: {name}
spec:
  location: eastus
"""


def test_declared_twice_points_at_the_first_declarations_name(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("# the team's workspace\n" + DOC.format(name="ws-1"), encoding="utf-8")
    second = tmp_path / "b.yaml"
    second.write_text(DOC.format(name="WS-1"), encoding="utf-8")
    (problem,) = load([first, second], LoadOptions(), env={}).problems
    assert problem.file == second
    assert problem.render().startswith(f"{second}:6:9: metadata.name:")
    assert f"declared twice (also at {first}:7:9)" in problem.render()
