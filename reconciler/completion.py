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
                # The words a positional takes (`completion bash|zsh`) are offered like options.
                words = [
                    str(choice)
                    for a in sub._actions
                    if not a.option_strings
                    and a.choices
                    and not isinstance(a, argparse._SubParsersAction)
                    for choice in a.choices
                ]
                found[name] = options + sorted(nested) + sorted(words)
    return found


def bash(parser: argparse.ArgumentParser) -> str:
    commands = _commands(parser)
    cases = "\n".join(
        f'    {name}) opts="{" ".join(options)}" ;;' for name, options in sorted(commands.items())
    )
    return f"""# bash completion for reconciler: eval "$(reconciler completion bash)"
_reconciler() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" opts="" sub="" i
  # The command is the first word that is no option: -v may come before it.
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ "${{COMP_WORDS[i]}}" != -* ]]; then sub="${{COMP_WORDS[i]}}"; break; fi
  done
  if [[ -z "$sub" ]]; then
    COMPREPLY=($(compgen -W "{" ".join(sorted(commands))} --help --version" -- "$cur"))
    return
  fi
  case "$sub" in
{cases}
  esac
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
