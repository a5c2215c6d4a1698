"""What a plan costs beside its requests: asyncio.run builds the repr of what its coroutine
returns (putting back its SIGINT handler names the old one, a partial holding the finished
task), and a plan's repr is the whole plan — 1.9 MB of text for 1,200 resources, twice. The
commands run their coroutines with :func:`reconciler.arm.loop.run_async`, which returns the
result beside the task."""

from __future__ import annotations

import gc

import pytest

from reconciler.arm.loop import run_async
from reconciler.cli import main
from reconciler.errors import ReconcilerError
from reconciler.plan.model import Plan
from tests.e2e.conftest import EXAMPLES, Azure


class _Counted:
    reprs = 0

    def __repr__(self) -> str:
        type(self).reprs += 1
        return "_Counted()"


def test_run_async_returns_the_result_without_its_repr() -> None:
    async def make() -> _Counted:
        return _Counted()

    assert isinstance(run_async(make()), _Counted)
    assert _Counted.reprs == 0


def test_run_async_raises_what_the_coroutine_raises() -> None:
    async def fail() -> None:
        raise LookupError("nothing")

    with pytest.raises(LookupError, match="nothing"):
        run_async(fail())


@pytest.mark.parametrize("command", ["plan", "destroy"])
def test_plan_and_destroy_never_build_the_plans_repr(
    azure: Azure, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    reprs: list[int] = []
    shown = Plan.__repr__
    monkeypatch.setattr(Plan, "__repr__", lambda self: reprs.append(1) or shown(self))
    extra = ["--plan-only"] if command == "destroy" else []
    code, out, err = azure.cli(
        command,
        *extra,
        "--env-file",
        str(EXAMPLES / "demo.env"),
        "--format",
        "json",
        str(EXAMPLES),
        "--endpoint",
        azure.url,
        capsys=capsys,
    )
    assert code == 0, err
    assert '"changes"' in out
    assert reprs == []


@pytest.mark.parametrize("whole_process", [True, False])
def test_the_reconcilers_own_process_freezes_what_it_loaded(
    azure: Azure,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    whole_process: bool,
) -> None:
    """Loaded manifests live until the process exits: frozen, the collector's full passes no
    longer walk them while the plan reads; nor, once the plan is made (read with the
    collector paused), what it read while it renders. A program calling ``main`` keeps its
    collector, running."""
    frozen: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    argv = [*("plan", "--env-file", str(EXAMPLES / "demo.env"), str(EXAMPLES))]
    code = main([*argv, "--endpoint", azure.url], whole_process=whole_process)
    assert code in (0, 2), capsys.readouterr().err
    assert frozen == ([1, 1] if whole_process else [])
    assert gc.isenabled()


@pytest.mark.parametrize(
    ("stop", "exit_code"), [(ReconcilerError("no answer"), 1), (KeyboardInterrupt(), 130)]
)
def test_the_collector_is_back_on_when_reading_fails_or_is_interrupted(
    azure: Azure,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stop: BaseException,
    exit_code: int,
) -> None:
    """compute_plan pauses the cyclic collector while it reads: an error or a Ctrl-C there
    leaves it running again (manifest.load.collector_paused), or a program calling ``main``
    would go on without it."""
    seen: list[bool] = []

    async def failing(*args: object, **kwargs: object) -> None:
        seen.append(gc.isenabled())
        raise stop

    monkeypatch.setattr("reconciler.session.read", failing)
    monkeypatch.setattr(gc, "freeze", lambda: None)
    assert gc.isenabled()
    argv = [*("plan", "--env-file", str(EXAMPLES / "demo.env"), str(EXAMPLES))]
    code = main([*argv, "--endpoint", azure.url], whole_process=True)
    assert code == exit_code, capsys.readouterr().err
    assert seen == [False]  # paused while reading
    assert gc.isenabled()
