"""Environment-variable substitution in manifest values: ``${NAME}`` and ``${NAME:-default}``.

Values that differ per environment (a resource group, a location) are written once and filled
from the environment. ``$${`` writes a literal ``${``. Substitution applies to string values,
never to keys. Inside a connection's ``credentials`` a value that is exactly ``${NAME}``
becomes the secret reference ``{fromEnv: NAME}``: the secret stays out of the manifest and is
read only when it is sent, instead of becoming a literal that would then be rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.manifest.yamlsource import JsonPath

# ``$${``, a well-formed reference, or (last) any other ``${`` up to ``}`` or the end of the
# value: a reference with a bad name or no closing brace is reported, never kept as text.
_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|(\$\{[^}]*\}?)")
_WHOLE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")

Report = Callable[[JsonPath, str], None]


def substitute(data: Any, env: Mapping[str, str], report: Report, path: JsonPath = ()) -> Any:
    """Return ``data`` with references replaced; missing variables are reported, not raised."""
    if isinstance(data, dict):
        return {k: substitute(v, env, report, (*path, k)) for k, v in data.items()}
    if isinstance(data, list):
        return [substitute(v, env, report, (*path, i)) for i, v in enumerate(data)]
    if not isinstance(data, str) or "$" not in data:
        return data
    if _is_secret_position(path):
        whole = _WHOLE.match(data)
        if whole:
            return {"fromEnv": whole.group(1)}

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        malformed = match.group(3)
        if malformed is not None:
            report(path, _malformed(malformed))
            return malformed
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        report(path, f"environment variable {name} is not set (referenced as ${{{name}}})")
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
