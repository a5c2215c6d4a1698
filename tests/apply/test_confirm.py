"""apply asks before changing anything, and only 'yes' goes ahead."""

from __future__ import annotations

import io

import pytest

from reconciler.apply import runner
from reconciler.errors import UsageError


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("answer", "goes_ahead"), [("yes\n", True), ("y\n", False), ("\n", False), ("YES\n", False)]
)
def test_only_yes_goes_ahead(
    monkeypatch: pytest.MonkeyPatch, answer: str, goes_ahead: bool
) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    if goes_ahead:
        runner.confirm(auto_approve=False)
    else:
        with pytest.raises(UsageError, match="cancelled"):
            runner.confirm(auto_approve=False)


def test_no_terminal_no_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    with pytest.raises(UsageError, match="--auto-approve"):
        runner.confirm(auto_approve=False)
    runner.confirm(auto_approve=True)
