"""Making untrusted strings safe to print: on a terminal, in a CI log, in a Markdown comment.

Names, tag keys, reasons and token names come from manifests on a pull-request branch or from
live resources someone else named. Printed raw they could recolour or rewrite a terminal (ANSI
and other control characters, bidi overrides), start a CI workflow command (a line beginning
``::`` in GitHub Actions, ``##vso[`` in Azure DevOps), or inject HTML, @mentions and broken code
spans into a pull-request comment. Every renderer passes each interpolated string through one
of these functions; none of them changes a string that was harmless.
"""

from __future__ import annotations

import html
import re

# C0 and C1 controls, DEL, the Unicode format characters that reorder or hide text, Unicode's
# line and paragraph separators (which break a line as NEL, U+0085, does), and lone
# surrogates (half a character, which JSON's "\ud800" lets a server send: no UTF-8 output can
# carry one, so printed raw it ends the command in a traceback).
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
# What json.dumps(ensure_ascii=False) leaves raw (it escapes C0 itself; newlines between
# members are structure).
_UNESCAPED_BY_JSON = re.compile(
    r"[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_WORKFLOW_LINE = re.compile(r"^(\s*)::")
_AZURE_DEVOPS = re.compile(r"##(vso)?\[", re.IGNORECASE)
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
# Characters with a meaning in Markdown (CommonMark's escapable punctuation that matters inline).
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~&])")


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """One line, control characters shown as escapes, no CI command can start from it."""
    cleaned = _CONTROL.sub(_escape_control, text)
    cleaned = _AZURE_DEVOPS.sub(lambda m: m.group(0)[:-1] + "\\[", cleaned)
    return _WORKFLOW_LINE.sub(r"\1\\::", cleaned)


def lines(text: str) -> str:
    """Multi-line text (an error listing problems), each line made safe by :func:`terminal`."""
    return "\n".join(terminal(line) for line in text.split("\n"))


def md_text(text: str) -> str:
    """Inline Markdown prose: no HTML, no formatting, no @mention, no CI command."""
    cleaned = terminal(text)
    cleaned = _MARKDOWN.sub(r"\\\1", cleaned)
    return _MENTION.sub("@\u2060", cleaned)


def md_code(text: str) -> str:
    """An inline code span holding ``text`` exactly, whatever backticks it contains (the fence
    is longer than any run inside), safe in a table cell."""
    cleaned = terminal(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", cleaned)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if cleaned.startswith("`") or cleaned.endswith("`") or not cleaned else ""
    return f"{fence}{pad}{cleaned}{pad}{fence}"


def md_fence(body: str, info: str = "") -> str:
    """A fenced code block that ``body`` cannot close early."""
    safe_body = "\n".join(terminal(line) for line in body.split("\n"))
    longest = max((len(run) for run in re.findall(r"`{3,}", safe_body)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{safe_body}\n{fence}"


def html_text(text: str) -> str:
    """Text inside an HTML element of the comment (``<summary>``, ``<code>``)."""
    return _MENTION.sub("@\u2060", html.escape(terminal(text), quote=True))


def json_text(text: str) -> str:
    """Serialised JSON with the same data, safe in a log: control and format characters and
    Azure DevOps ``##vso[`` written as ``\\u`` escapes (they can only occur inside strings)."""
    # Both scans are skipped where they cannot match (a plan is megabytes, and mostly ASCII).
    if not text.isascii() or "\x7f" in text:  # DEL is the one of them within ASCII
        text = _UNESCAPED_BY_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
    if "##" not in text:
        return text
    return _AZURE_DEVOPS.sub(lambda m: m.group(0)[:-1] + "\\u005b", text)


def json_writable(text: str) -> str:
    """Serialised JSON that UTF-8 can carry, with the same data: lone surrogates written as
    JSON's ``\\u`` escapes (read back, the same string), everything else as it was."""
    if text.isascii():
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
