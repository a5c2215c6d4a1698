"""Whatever the input, loading yields problems with positions or a valid result — never a crash.

Property-based: arbitrary text, arbitrary YAML-looking text, and random mutations of a valid
manifest. (No HTTP is possible here: loading has no client to call.)
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reconciler.manifest.load import load

VALID = """apiVersion: reconciler/v1
kind: Workspace
metadata:
  name: ws-1
  subscription: 00000000-1111-2222-3333-444444444444
  resourceGroup: rg-1
spec:
  location: eastus
  tags: {a: b}
  properties:
    hbiWorkspace: false
    friendlyName: hello
"""

# Lines as the YAML parser counts them, and positions with them: NEL, LS, PS and a lone CR
# break lines too (reconciler/manifest/yamlsource.py): "-\x850" has two lines, and the error
# at its end is on the line after them.
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

YAMLISH = st.text(
    alphabet=st.sampled_from(list("ab:-_ \n{}[],&*!|>'\"#%@`?0x1.~<=$")), max_size=200
)


def _check(tmp: Path, text: str) -> None:
    path = tmp / "m.yaml"
    path.write_text(text, encoding="utf-8")
    result = load([path], env={})
    assert result.ok or result.problems
    for problem in result.problems:
        assert problem.render().startswith(str(path))
        if "no manifest documents" in problem.message:
            continue  # about the file as a whole: there is no line to point at
        assert problem.position is not None, problem.render()
        lines = len(LINE_BREAK.findall(text)) + 1
        assert 1 <= problem.position.line <= lines + 1, problem.render()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(st.text(max_size=200), YAMLISH))
@example(text="-\x850")  # NEL is a line break to the parser: its error is on line 3
def test_arbitrary_text_never_raises(tmp_path: Path, text: str) -> None:
    _check(tmp_path, text)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(0, len(VALID)), insert=YAMLISH, cut=st.integers(0, 20))
def test_mutated_manifests_never_raise(
    tmp_path: Path, position: int, insert: str, cut: int
) -> None:
    _check(tmp_path, VALID[:position] + insert + VALID[position + cut :])
