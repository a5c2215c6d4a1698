"""Shell completion scripts, generated from the argument parser so they never drift from it."""

from __future__ import annotations

import argparse


def _commands(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                options = sorted(
                    o for a in sub._actions for o in a.option_strings if a.help != argparse.SUPPRESS
                )
                nested = _commands(sub)
                found[name] = options + sorted(nested)
    return found


def bash(parser: argparse.ArgumentParser) -> str:
    commands = _commands(parser)
    cases = "\n".join(
        f'    {name}) opts="{" ".join(options)}" ;;' for name, options in sorted(commands.items())
    )
    return f"""# bash completion for reconciler: eval "$(reconciler completion bash)"
_reconciler() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" opts=""
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "{" ".join(sorted(commands))} --help --version" -- "$cur"))
    return
  fi
  case "${{COMP_WORDS[1]}}" in
{cases}
  esac
  local sub="${{COMP_WORDS[1]}}"
  if [[ "$cur" == -* || "$sub" == schemas || "$sub" == completion ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}}
complete -o filenames -F _reconciler reconciler
"""


def zsh(parser: argparse.ArgumentParser) -> str:
    return (
        '# zsh completion for reconciler: eval "$(reconciler completion zsh)"\n'
        "autoload -U +X bashcompinit && bashcompinit\n" + bash(parser)
    )
