"""-v shows each request and its answer; it is accepted after the command as well."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import EXAMPLES, Azure


@pytest.mark.parametrize("where", ["before", "after"])
def test_one_v_logs_each_request_and_its_answer(azure: Azure, where: str) -> None:
    args = ["plan", "--endpoint", azure.url, "--env-file", str(EXAMPLES / "demo.env")]
    argv = ["-v", *args] if where == "before" else [*args, "-v"]
    done = azure.process(*argv, str(EXAMPLES))
    assert done.returncode == 0, done.stderr
    # The example workspace does not exist yet: its GET answers 404.
    lines = [line for line in done.stderr.splitlines() if " INFO reconciler" in line]
    assert any("GET /subscriptions/" in line and "-> 404" in line for line in lines), done.stderr
    assert not any(" DEBUG " in line for line in done.stderr.splitlines())
