"""The command line explains itself: every option has help, every command a description, the
README names every command and option, and options are accepted where users type them."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.commands.parser import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(
    parser: argparse.ArgumentParser, name: str = "reconciler"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _commands(sub, f"{name} {sub_name}")


def _options(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
            yield action


def _knobs(parser: argparse.ArgumentParser) -> set[argparse.Action]:
    """The emulator's knob flags: generated from its Knobs, described by `emulator --help`
    (which the README points to), so a new knob need not wait for a README edit."""
    return {
        action
        for group in parser._action_groups
        if (group.title or "").startswith("knobs")
        for action in group._group_actions
    }


COMMANDS = list(_commands(build_parser()))


@pytest.mark.parametrize(("name", "parser"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_option_has_help_and_every_command_a_description(
    name: str, parser: argparse.ArgumentParser
) -> None:
    if name != "reconciler":
        assert parser.description, f"{name} has no description"
    for action in _options(parser):
        assert action.help, f"{name} {action.option_strings or action.dest} has no help"


@pytest.mark.parametrize(("name", "parser"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_the_readme_names_every_command_and_option(
    name: str, parser: argparse.ArgumentParser
) -> None:
    assert f"`{name}" in README or f"{name} " in README, f"README does not mention {name}"
    for action in _options(parser):
        if action.help == argparse.SUPPRESS or action in _knobs(parser):
            continue
        for option in action.option_strings:
            if option.startswith("--") and option != "--version":
                assert option in README, f"README does not mention {name} {option}"


def test_apply_refuses_a_format_it_would_ignore(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["apply", "--format", "json", "x"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--format: apply prints its plan and progress as text only" in err
    assert "plan --format json --out plan.json" in err


@pytest.mark.parametrize(
    "argv", [["-v", "validate", "x"], ["validate", "-v", "x"], ["validate", "x", "-v"]]
)
def test_verbose_is_accepted_before_and_after_the_command(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).verbose == 1


def test_verbose_before_the_command_is_kept() -> None:
    assert build_parser().parse_args(["-vv", "validate", "x"]).verbose == 2


def test_validate_of_a_missing_path_does_not_claim_a_file_was_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["validate", str(tmp_path / "nonexistent")])
    err = capsys.readouterr()
    assert code == 1
    assert "no such file or directory" in err.out
    assert "file(s)" not in err.err
    assert "1 path(s) not found" in err.err


@pytest.mark.parametrize(
    "fact",
    [
        "connections/listsecrets/action",  # the role behind secret comparison
        "listNotebookAccessToken/action",  # ... and behind notebook-token
        "https://playwright.microsoft.com/.default",  # Playwright's own token audience
        "management.chinacloudapi.cn",  # how to reach a sovereign cloud
        "AZURE_AUTHORITY_HOST",
        "SSL_CERT_FILE",  # how to trust the --https emulator
        "reconciler emulator --demo",
        "/_emulator/resourceGroups",  # how to seed a running emulator
    ],
)
def test_the_readme_says_what_a_newcomer_needs(fact: str) -> None:
    assert fact in README
