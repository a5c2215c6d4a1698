"""Sharding for CI matrices, shell completion, and help texts with examples."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler import kinds
from reconciler.cli import main
from reconciler.commands.parser import EXAMPLES as HELP_EXAMPLES
from reconciler.commands.parser import build_parser
from reconciler.errors import UsageError
from reconciler.manifest import shard
from reconciler.manifest.load import LoadOptions, load
from reconciler.manifest.model import Kind
from tests.e2e.conftest import Azure

SUB = "00000000-1111-2222-3333-444444444444"


def _many(tmp_path: Path, workspaces: int = 12) -> Path:
    docs = [
        f"apiVersion: reconciler/v1\nkind: Defaults\nspec: {{subscription: {SUB}, "
        "resourceGroup: workspace-1234, location: eastus}\n"
    ]
    for w in range(workspaces):
        docs.append(
            f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: ws{w:02d}}}\n"
            "spec: {}\n"
        )
        docs.append(
            f"apiVersion: reconciler/v1\nkind: Connection\nmetadata: {{name: git, "
            f"workspace: ws{w:02d}}}\nspec: {{properties: {{authType: None}}}}\n"
        )
    (tmp_path / "m.yaml").write_text("---\n".join(docs))
    return tmp_path


def test_shards_partition_the_workspaces_and_keep_connections_with_them(tmp_path: Path) -> None:
    manifests = load([_many(tmp_path)], env={}).manifests
    seen: list[str] = []
    for index in (1, 2, 3):
        part = shard.select(manifests, index, 3)
        names = {w.address.name for w in part.of(Kind("Workspace"))}
        assert {c.address.workspace for c in part.of(Kind("Connection"))} == names
        seen += sorted(names)
        assert part == shard.select(manifests, index, 3)  # deterministic
    assert sorted(seen) == sorted(w.address.name for w in manifests.of(Kind("Workspace")))
    assert len(set(seen)) == len(seen)


def test_a_project_is_in_the_shard_of_its_hub_with_the_hub_s_connections() -> None:
    # Before: a project was sharded by its own name, so `apply --shard` of its shard on a new
    # estate failed with "Hub workspace ... of this project was not found" (examples/, 1/2).
    examples = Path(__file__).resolve().parents[2] / "manifests" / "examples"
    options = LoadOptions(cross_check=kinds.cross_check, check_secrets=False)
    manifests = load([examples / "defaults.yaml", examples / "hub.yaml"], options, {}).manifests
    assert len(manifests.resources) == 3
    for count in range(2, 9):
        holders = {
            index: {m.address.workspace or m.address.name for m in part.resources}
            for index in range(1, count + 1)
            if (part := shard.select(manifests, index, count)).resources
        }
        assert list(holders.values()) == [{"team-hub", "team-project"}], (count, holders)


@pytest.mark.parametrize("text", ["0/3", "4/3", "x/3", "3", "1/0"])
def test_bad_shard_specs_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        shard.parse(text)


def test_plan_of_one_shard_reads_only_that_shard(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = _many(tmp_path)
    addresses: list[str] = []
    for index in (1, 2):
        code, out, _ = azure.cli(
            "plan",
            "--endpoint",
            azure.url,
            "--format",
            "json",
            "--shard",
            f"{index}/2",
            str(directory),
            capsys=capsys,
        )
        assert code == 0
        addresses += [c["address"] for c in json.loads(out)["changes"]]
    assert len(addresses) == len(set(addresses)) == 24


def test_completion_scripts_know_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for shell in ("bash", "zsh"):
        script = tmp_path / f"c.{shell}"
        assert main(["completion", shell]) == 0
        text = capsys.readouterr().out
        script.write_text(text)
        for command in (
            "validate",
            "plan",
            "apply",
            "drift",
            "export",
            "notebook-token",
            "playwright-tokens",
            "emulator",
            "completion",
        ):
            assert command in text
        assert "--detailed-exitcode" in text and "--shard" in text
    checked = subprocess.run(
        ["bash", "-n", str(tmp_path / "c.bash")], capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def _complete(script: Path, words: list[str]) -> list[str]:
    """What bash offers after typing ``words`` (the last one being completed)."""
    line = " ".join(f"'{w}'" for w in words)
    program = (
        f"source {script}\nCOMP_WORDS=({line})\nCOMP_CWORD={len(words) - 1}\n"
        '_reconciler\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        # Before: `reconciler completion <TAB>` offered only --help/--verbose, not the shells.
        (["reconciler", "completion", ""], {"bash", "zsh"}),
        (["reconciler", "schemas", ""], {"generate"}),
        # Before: with -v ahead of the command (which the CLI accepts) nothing was offered.
        (["reconciler", "-v", "plan", "--det"], {"--detailed-exitcode"}),
        (["reconciler", "-vv", ""], {"plan", "apply"}),
        (["reconciler", "plan", "--det"], {"--detailed-exitcode"}),
    ],
)
def test_bash_completion_offers_the_next_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], words: list[str], offered: set[str]
) -> None:
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "c.bash"
    script.write_text(capsys.readouterr().out)
    assert offered <= set(_complete(script, words))


def test_every_command_has_an_example_in_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    assert set(commands.choices) == set(HELP_EXAMPLES)  # type: ignore[attr-defined]
    for name in commands.choices:  # type: ignore[attr-defined]
        with pytest.raises(SystemExit):
            main([name, "--help"])
        out = capsys.readouterr().out
        assert "example:" in out and "reconciler" in out, name


def test_a_shard_keeps_the_configuration_s_owner(tmp_path: Path) -> None:
    """Each shard is the same configuration: apply marks what it creates with its owner, and
    --prune deletes only what that owner marked (a shard without it wrote the bare marker and
    pruned nothing)."""
    manifests = replace(load([_many(tmp_path)], env={}).manifests, owner="team-a")
    for index in (1, 2, 3):
        assert shard.select(manifests, index, 3).owner == "team-a"
