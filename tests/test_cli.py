"""The command line as users run it: real processes, exit codes, and no tracebacks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import __version__
from reconciler.cli import main


def _run(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_version_as_a_module() -> None:
    done = _run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"reconciler {__version__}"


def test_readme_first_command_runs_the_main_job(repo: Path, tmp_path: Path) -> None:
    readme = (repo / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash|console)\n(.*?)```", readme, flags=re.S)
    assert len(blocks) >= 2, "the README opens with two command blocks"
    first = blocks[0].strip()
    assert "pip install" in first
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "DATALAKE_"))}
    # The install steps are what a fresh machine needs; here the package is already installed,
    # so run the part after them to keep the suite offline and fast.
    steps = [step.strip() for step in first.split("&&")]
    job = " && ".join(step for step in steps if not step.startswith("pip install"))
    assert job.startswith("reconciler ")
    # The job keeps the emulator's state in ./.reconciler: run it in a copy, never in the
    # user's checkout (it would reset their own emulator state).
    shutil.copytree(repo / "manifests", tmp_path / "manifests")
    done = subprocess.run(
        job,
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / ".reconciler" / "emulator-state.json").is_file()


def test_readme_second_command_is_what_ci_runs(repo: Path) -> None:
    readme = (repo / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash|console)\n(.*?)```", readme, flags=re.S)
    ci = (repo / ".ci" / "run").read_text(encoding="utf-8")
    assert blocks[1].strip() in ci


def test_validate_reports_problems_with_exit_1(repo: Path) -> None:
    bad = repo / "tests/manifest/corpus/invalid/unknown-field-typo.yaml"
    done = _run("validate", str(bad))
    assert done.returncode == 1
    assert "unknown-field-typo.yaml:11:5: spec.properties.friendlyNme: unknown field" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("content", [b"\xff\xfe not utf8", b"a: [", b"- 1\n- 2\n", b"{}", b""])
def test_no_traceback_for_garbage(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    code = main(["validate", str(path)])
    out = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out.out + out.err


def test_bad_env_file_line_is_reported_without_its_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    env = tmp_path / "x.env"
    env.write_text("GOOD=1\nthis-is-a-secret-canary\n")
    code = main(["validate", "--env-file", str(env), str(repo / "manifests/examples")])
    out = capsys.readouterr()
    assert code == 1
    assert f"{env}:2: expected KEY=VALUE" in out.err
    assert "canary" not in out.out + out.err


def test_an_env_file_written_on_windows_reads_as_any_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    """Notepad or PowerShell's ``Out-File -Encoding utf8``: a byte order mark, CRLF endings."""
    from reconciler import envfile

    unix = repo / "manifests/examples/demo.env"
    text = unix.read_text(encoding="utf-8")
    windows = tmp_path / "demo.env"
    windows.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    first = tmp_path / "first.env"
    first.write_bytes(b"\xef\xbb\xbfAZURE_OPENAI_API_KEY=x\r\n")
    assert envfile.read([windows]) == envfile.read([unix])
    assert envfile.read([first]) == {"AZURE_OPENAI_API_KEY": "x"}
    code = main(["validate", "--env-file", str(windows), str(repo / "manifests/examples")])
    assert code == 0, capsys.readouterr().err


def test_output_cut_short_by_its_reader_exits_1_without_a_traceback(tmp_path: Path) -> None:
    """``reconciler validate . | head``: the reader closes the pipe after a few lines."""
    path = tmp_path / "many.yaml"
    path.write_text("--- !Ref x\n" * 20_000, encoding="utf-8")  # 20,000 problems, ~1 MB
    with subprocess.Popen(
        [sys.executable, "-m", "reconciler", "validate", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as done:
        assert done.stdout is not None and done.stderr is not None
        assert done.stdout.readline().startswith(str(path).encode())
        done.stdout.close()
        stderr = done.stderr.read().decode()
        assert done.wait(timeout=60) == 1
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert stderr.strip() == "error: the output's reader closed it early (broken pipe)"


@pytest.mark.skipif(sys.platform == "win32", reason="file size limits are POSIX")
def test_output_that_cannot_be_written_exits_1_in_one_line_without_a_traceback(
    tmp_path: Path,
) -> None:
    """``reconciler drift … > drift.md`` on a full disk: stdout's writes fail. Before: a
    traceback (exit 1 only by chance), and the interpreter's flush at exit failed again."""
    import resource
    import signal

    path = tmp_path / "many.yaml"
    path.write_text("--- !Ref x\n" * 2_000, encoding="utf-8")  # ~100 KB of problems

    def small_disk() -> None:  # a file may not grow past 8 KiB: the disk is full
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, as ENOSPC would be, not a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    with (tmp_path / "out.txt").open("wb") as out:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "validate", str(path)],
            stdout=out,
            stderr=subprocess.PIPE,
            preexec_fn=small_disk,
            timeout=60,
            check=False,
        )
    stderr = done.stderr.decode()
    assert done.returncode == 1
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert stderr.strip() == "error: cannot write the output (stdout): File too large"


@pytest.mark.skipif(sys.platform == "win32", reason="closing a descriptor for a child is POSIX")
@pytest.mark.parametrize("command", [["--version"], ["validate", "manifests/examples"]])
def test_a_closed_stdout_is_one_line_and_exit_1_before_anything_is_done(
    command: list[str],
) -> None:
    """``reconciler … >&-``: Python starts with no sys.stdout at all. Before: a traceback
    (AttributeError on None) after the command had run."""
    repo = Path(__file__).resolve().parents[1]

    def close_stdout() -> None:
        os.close(1)

    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=close_stdout,
        cwd=repo,
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode()
    assert done.returncode == 1
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert stderr.strip() == "error: standard output is closed: nothing was done"


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 1
    assert "validate" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--detailed-exitcode", "--bogus", "manifests"],
        ["drift", "--format", "yaml", "manifests"],
        ["destroy", "--timeout", "abc", "manifests"],
    ],
)
def test_a_command_line_error_exits_1_not_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """2 means "changes to apply" (plan --detailed-exitcode) and "drift" (drift): a typo in a
    CI job's options exited 2, argparse's usage code, and read as changes or drift."""
    assert main(argv) == 1
    assert "error:" in capsys.readouterr().err


def test_help_and_version_still_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["plan", "--help"], ["-v", "--version"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 0
    capsys.readouterr()
    assert main(["--version"]) == 0  # answered before the parser is built
    assert capsys.readouterr().out == f"reconciler {__version__}\n"
