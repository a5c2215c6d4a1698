"""Variable substitution in manifest values: ``${NAME}`` and ``${NAME:-default}``.

Values that differ per environment (a resource group, a location) are written once and filled
in. Manifests come from whoever opened the pull request, and the plan is printed in it, so a
reference reads only what the operator *gave* as a variable — ``--var NAME=VALUE``, an
``--env-file``, or ``RECONCILER_VAR_NAME`` in the process environment (as Terraform reads only
``TF_VAR_*``) — never the rest of the job's environment, where secrets live. Anything else is an
error naming the variable. ``$${`` writes a literal ``${``. Substitution applies to string values,
never to keys. Inside a connection's ``credentials`` a value that is exactly ``${NAME}``
becomes the secret reference ``{fromEnv: NAME}``: the secret stays out of the manifest and is
read only when it is sent, instead of becoming a literal that would then be rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from reconciler.manifest.yamlsource import JsonPath

# Process-environment variables readable by ${NAME}: RECONCILER_VAR_NAME.
VAR_PREFIX = "RECONCILER_VAR_"
# ``$${``, a well-formed reference, or (last) any other ``${`` up to ``}`` or the end of the
# value: a reference with a bad name or no closing brace is reported, never kept as text.
_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|(\$\{[^}]*\}?)")
_WHOLE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")

Report = Callable[[JsonPath, str], None]
# (variable name, value) of every substitution made: errors must never print those values.
Used = list[tuple[str, str]]


def substitute(
    data: Any,
    env: Mapping[str, str],
    report: Report,
    path: JsonPath = (),
    *,
    used: Used | None = None,
) -> Any:
    """Return ``data`` with references replaced; missing variables are reported, not raised.

    ``env`` holds the variables given (see the module docstring); ``used`` collects what was
    substituted, so the caller can keep the values out of its messages. A container nothing
    in which changes is returned as it is, not copied: most manifests' values hold no ``$``.
    """
    if isinstance(data, dict | list):
        return _in_container(data, env, report, path, used)
    if not isinstance(data, str) or "$" not in data:
        return data
    if _is_secret_position(path):
        whole = _WHOLE.match(data)
        if whole:
            return {"fromEnv": whole.group(1)}
    return _replaced(data, env, report, path, used)


# Values substitution returns as they are (a str holding no "$" too).
_UNCHANGED = frozenset({int, float, bool, type(None)})


def _in_container(
    data: dict[Any, Any] | list[Any],
    env: Mapping[str, str],
    report: Report,
    path: JsonPath,
    used: Used | None,
) -> Any:
    """``data`` itself when none of its values changes, else a copy with those that do: the
    values are visited in order (reports and ``used`` in the order written), and the many
    that cannot change are passed over without a call."""
    changed: Any = None
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        kind = value.__class__
        if (kind is str and "$" not in value) or kind in _UNCHANGED:
            continue
        new = substitute(value, env, report, (*path, key), used=used)
        if new is not value:
            if changed is None:
                changed = data.copy()
            changed[key] = new
    return data if changed is None else changed


def _replaced(
    data: str, env: Mapping[str, str], report: Report, path: JsonPath, used: Used | None
) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        malformed = match.group(3)
        if malformed is not None:
            report(path, _malformed(malformed))
            return malformed
        name, default = match.group(1), match.group(2)
        if default is not None and "${" in default:
            # ``${A:-${B}}``: the default ends at the first ``}``, so the value would be
            # ``${B}`` as text, or A's with a stray ``}``: refused, never read half-nested.
            report(
                path,
                f"{match.group(0)!r} holds a reference in its default: defaults are read as "
                f"text, never nested; give {name} with --var {name}=VALUE, an --env-file or "
                f"{VAR_PREFIX}{name}",
            )
            return match.group(0)
        if name in env:
            if used is not None:
                used.append((name, env[name]))
            return env[name]
        if default is not None:
            return default
        report(
            path,
            f"variable {name} is not given (referenced as ${{{name}}}): ${{VAR}} reads only "
            f"--var {name}=VALUE, an --env-file, or {VAR_PREFIX}{name} in the environment",
        )
        return match.group(0)

    return _REFERENCE.sub(replace, data)


def _malformed(text: str) -> str:
    if not text.endswith("}"):
        return f"unterminated reference {text!r}: close it with '}}' (write $${{ for a literal ${{)"
    name = text[2:-1].split(":-", 1)[0]
    return (
        f"{text!r} is not a valid reference: {name!r} is not a variable name (letters, digits "
        "and _, not starting with a digit; write $${ for a literal ${)"
    )


def _is_secret_position(path: JsonPath) -> bool:
    return (
        len(path) >= 3
        and path[:2] == ("spec", "properties")
        and path[2]
        in (
            "credentials",
            "value",
        )
    )


def variables(
    files: Mapping[str, str], environ: Mapping[str, str], command_line: Mapping[str, str]
) -> dict[str, str]:
    """What ``${NAME}`` may read, later sources winning: env files, ``RECONCILER_VAR_NAME``
    from the process environment (the real environment wins, as for secrets), ``--var``."""
    found = {
        key.removeprefix(VAR_PREFIX): value
        for key, value in environ.items()
        if key.startswith(VAR_PREFIX) and len(key) > len(VAR_PREFIX)
    }
    return {**files, **found, **command_line}


def scrub(message: str, used: Iterable[tuple[str, str]]) -> str:
    """``message`` with every substituted value replaced by the reference it came from."""
    for name, value in sorted(used, key=lambda u: -len(u[1])):
        if value:
            message = message.replace(repr(value), f"${{{name}}}")
            if len(value) >= 3:
                message = message.replace(value, f"${{{name}}}")
    return message
