"""Each file in corpus/invalid is a mistake users make; its first lines say what we must answer.

A header line ``# expect: LINE:COL: field: message`` gives one expected problem (matched as a
substring of the rendered problem without the file name). The file must yield exactly those
problems: no fewer, no extra noise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.manifest.load import load

CORPUS = Path(__file__).parent / "corpus" / "invalid"
CASES = sorted(CORPUS.glob("*.yaml"))


def _expectations(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_invalid_manifest_yields_exactly_the_expected_problems(case: Path) -> None:
    expected = _expectations(case)
    assert expected, f"{case.name} has no '# expect:' line"
    result = load([case], env={"HOME": "/root"})
    rendered = [p.render().removeprefix(f"{case}:") for p in result.problems]
    assert len(rendered) == len(expected), rendered
    for want in expected:
        assert any(want in got for got in rendered), f"{want!r} not in {rendered}"


def test_the_corpus_covers_the_documented_mistakes() -> None:
    names = {c.stem for c in CASES}
    assert {
        "syntax-error",
        "duplicate-key",
        "billion-laughs",
        "unknown-kind",
        "unknown-field-typo",
        "wrong-type",
        "bad-enum",
        "bad-name-pattern",
        "read-only-field",
        "duplicate-resource",
        "orphan-connection",
        "literal-secret",
        "missing-secret-env",
        "unterminated-reference",
        "invalid-reference-name",
        "empty-location",
        "empty-location-in-defaults",
        "location-not-a-region",
        "tag-on-mapping",
        "tag-on-sequence",
        "deep-nesting",
        "service-principal-without-secret",
        "tag-limits",
        "too-many-tags",
        "resource-group-trailing-period",
        "playwright-warn-days-huge",
    } <= names
