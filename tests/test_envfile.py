"""An ``--env-file`` reads as docker compose reads one: a value is what is inside its quotes,
or, unquoted, what comes before a ``#`` that follows whitespace. A value read whole with its
comment would be sent as a secret nobody wrote."""

from __future__ import annotations

import pytest

from reconciler import envfile
from reconciler.errors import UsageError


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("KEY=abc", "abc"),
        ("KEY=abc # rotated 2026-11", "abc"),
        ("KEY=abc\t# tab before it", "abc"),
        ("KEY=abc#def", "abc#def"),  # no whitespace before '#': part of the value
        ("KEY=https://git/x#frag # comment", "https://git/x#frag"),
        ('KEY="abc"  # quoted, then a comment', "abc"),
        ('KEY="a # b"', "a # b"),
        ("KEY='a # b' # c", "a # b"),
        ('KEY=""', ""),
        ("KEY=", ""),
        ("export KEY= spaced value ", "spaced value"),
        # Escapes as compose reads them: in double quotes \n, \r, \t, \\ and \" (a PEM key
        # written on one line with \n was sent with a literal backslash-n); in single quotes
        # only \'; any other backslash is kept as written.
        ('KEY="a\\"b"', 'a"b'),
        ('KEY="-----BEGIN KEY-----\\nMIIE\\n-----END"', "-----BEGIN KEY-----\nMIIE\n-----END"),
        ('KEY="tab\\there\\r"', "tab\there\r"),
        ('KEY="back\\\\slash\\\\n"', "back\\slash\\n"),
        ('KEY="C:\\x"', "C:\\x"),
        ("KEY='Let\\'s go!'", "Let's go!"),
        ("KEY='some\\tvalue'", "some\\tvalue"),
    ],
)
def test_a_value_is_what_compose_would_read(line: str, value: str) -> None:
    assert envfile.parse(line, "x.env") == {"KEY": value}


@pytest.mark.parametrize("line", ['KEY="secret-canary', "KEY='secret-canary\" ", 'KEY="a" b'])
def test_a_quote_not_closed_or_followed_by_stray_text_is_an_error_that_quotes_nothing(
    line: str,
) -> None:
    with pytest.raises(UsageError) as refused:
        envfile.parse(f"OTHER=1\n{line}\n", "x.env")
    assert str(refused.value).startswith("x.env:2: KEY's quoted value has no closing quote")
    assert "canary" not in str(refused.value)


def test_a_quote_escaped_by_the_backslash_before_it_says_so() -> None:
    """``KEY='C:\\'`` reads, as compose reads it, as a quote that never closes."""
    with pytest.raises(UsageError) as refused:
        envfile.parse("KEY='C:\\'\n", "x.env")
    assert str(refused.value) == (
        "x.env:1: KEY's quoted value has no closing quote, or text after it that is not a "
        "comment (a backslash before a single quote escapes it)"
    )
