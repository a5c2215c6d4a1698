"""A listNotebookAccessToken answer without ``expiresIn`` (absent or null) says nothing of
when the token expires: ``notebook-token`` shows the expiry as unknown (text ``unknown``, JSON
``null``), never as the current moment (a token that seemed to expire now sent a script
checking its expiry into refreshing forever). An ``expiresIn`` that is no number of seconds
(text, negative, a flag) is an unreadable answer: exit 1, one line naming the field. The real
CLI against the emulator over loopback, its answers rewritten as a hostile server would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Knobs, running
from reconciler.emulator.wire import Request, Response
from tests.linked import LINKED_YAML
from tests.security.hostile import RewritingEmulator

MANIFEST = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: rg-nb, location: westeurope}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-nb}}
spec: {{properties: {{description: hello, {LINKED_YAML}}}}}
"""
ABSENT = object()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    """(the emulator's URL, the manifest, the rewrite: ``expiresIn``'s value or ABSENT)."""
    rewrite: dict[str, Any] = {}

    def tamper(request: Request, response: Response) -> None:
        if request.path.endswith("/listNotebookAccessToken") and response.status == 200:
            body = dict(response.body)
            if rewrite.get("expiresIn") is ABSENT:
                del body["expiresIn"]
            elif "expiresIn" in rewrite:
                body["expiresIn"] = rewrite["expiresIn"]
            response.body = body

    emulator = RewritingEmulator(
        tamper,
        knobs=Knobs(retry_after_seconds=0),
        resource_groups=((DEFAULT_SUBSCRIPTION, "rg-nb"),),
    )
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    with running(emulator) as url:
        assert main(["apply", "--endpoint", url, "--auto-approve", str(path)]) == 0
        yield url, path, rewrite


def _token(
    served: tuple[str, Path, dict[str, Any]], capsys: pytest.CaptureFixture[str], *flags: str
) -> tuple[int, str, str]:
    url, path, _ = served
    capsys.readouterr()
    code = main(["notebook-token", "--endpoint", url, "--workspace", "ws-nb", *flags, str(path)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("value", [ABSENT, None], ids=["absent", "null"])
def test_an_answer_without_an_expiry_shows_it_unknown(
    served: tuple[str, Path, dict[str, Any]], capsys: pytest.CaptureFixture[str], value: Any
) -> None:
    served[2]["expiresIn"] = value
    code, out, err = _token(served, capsys)
    assert code == 0, err
    (line,) = [line for line in out.splitlines() if line.startswith("expiresAt")]
    assert line.split() == ["expiresAt", "unknown"], out

    code, out, err = _token(served, capsys, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["expiresAt"] is None, out


def test_an_answer_with_an_expiry_shows_when(
    served: tuple[str, Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _token(served, capsys, "--format", "json")
    assert code == 0, err
    expires = json.loads(out)["expiresAt"]
    assert isinstance(expires, str) and expires.endswith("Z"), out


@pytest.mark.parametrize("value", ["soon", "3600", -5, True, [3600], {"s": 1}])
def test_an_expiry_that_is_no_number_of_seconds_is_one_line_naming_it(
    served: tuple[str, Path, dict[str, Any]], capsys: pytest.CaptureFixture[str], value: Any
) -> None:
    served[2]["expiresIn"] = value
    code, out, err = _token(served, capsys)
    assert code == 1 and out == "", out
    (line,) = err.strip().splitlines()
    assert line.startswith("error: unreadable answer to listNotebookAccessToken"), line
    assert "expiresIn" in line, line
