"""validate over hostile input: random bytes, random deep nesting, random structures where a
manifest's fields belong. Whatever comes in: problems with positions, never a traceback, never
a signal (a crash in the C composer would take this whole run down, so in-process examples are
many and cheap; a few more run as real processes to see the exit code itself)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.manifest.load import load

SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
OPENERS = st.sampled_from(["[", "{a: ", "- ", "? ", "a:\n", "  ", "{", "[{b: ", "- - "])


def _deep(levels: int) -> st.SearchStrategy[str]:
    """A random pattern of openers repeated up to ``levels`` times (the C composer used to
    crash from some 25,000 levels on), then closed, half-closed or left open."""
    closers = st.sampled_from(["", "x", "]", "}", "]}"])
    return st.tuples(
        st.lists(OPENERS, min_size=1, max_size=5), st.integers(1, levels), closers
    ).map(lambda p: "".join(p[0]) * p[1] + p[2] * p[1])


DEEP = _deep(40_000)


JSONISH: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=60,
)


def _validate(tmp: Path, raw: bytes) -> None:
    path = tmp / "m.yaml"
    path.write_bytes(raw)
    result = load([path], env={})
    assert result.ok or result.problems
    for problem in result.problems:
        assert problem.render().startswith(str(path))


@SETTINGS
@given(raw=st.binary(max_size=400))
def test_random_bytes(tmp_path: Path, raw: bytes) -> None:
    _validate(tmp_path, raw)


@settings(SETTINGS, max_examples=50)
@given(text=DEEP)
def test_random_deep_nesting(tmp_path: Path, text: str) -> None:
    _validate(tmp_path, text.encode())


@SETTINGS
@given(spec=JSONISH, metadata=JSONISH, kind=st.sampled_from(["Workspace", "Connection", "X"]))
def test_random_structures_in_a_manifest(
    tmp_path: Path, spec: Any, metadata: Any, kind: str
) -> None:
    document = {"apiVersion": "reconciler/v1", "kind": kind, "metadata": metadata, "spec": spec}
    _validate(tmp_path, json.dumps(document).encode())


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_deep(40_000).filter(lambda t: len(t) > 60_000))
def test_deep_nesting_as_a_process_exits_1_or_0_never_by_a_signal(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode in (0, 1), (done.returncode, done.stderr[-300:])
    assert "Traceback" not in done.stderr
