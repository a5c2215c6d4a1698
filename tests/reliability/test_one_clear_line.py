"""Every mistake around the run (arguments, output files, env files, state files) is one
clear line on stderr and exit 1 — never a traceback, and never a lost plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import outputfile
from reconciler.cli import main
from reconciler.emulator import DEFAULT_SUBSCRIPTION
from reconciler.errors import OutputError
from tests.linked import LINKED_YAML

MANIFEST = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: rg-clear, location: westeurope}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-clear}}
spec: {{properties: {{description: hello, {LINKED_YAML}}}}}
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _one_line(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0], err


def _emulated(tmp_path: Path) -> list[str]:
    return ["--emulator", "--emulator-state", str(tmp_path / "state.json")]


@pytest.mark.parametrize(
    "flags",
    [
        ["--request-timeout", "nan"],
        ["--request-timeout", "0"],
        ["--request-timeout", "-1"],
        ["--request-timeout", "inf"],
        ["--timeout", "0"],
        ["--deadline", "-5"],
        ["--parallelism", "0"],
    ],
    ids=lambda f: " ".join(f),
)
def test_impossible_numbers_are_usage_errors(
    flags: list[str], manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "apply", *_emulated(tmp_path), *flags, str(manifest))
    assert code == 1
    _one_line(err, flags[0])
    assert not (tmp_path / "state.json").exists()  # refused before anything started


@pytest.mark.parametrize("command", ["plan", "apply", "drift"])
def test_emulator_with_endpoint_is_refused(
    command: str, manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        capsys, command, *_emulated(tmp_path), "--endpoint", "http://127.0.0.1:1", str(manifest)
    )
    assert code == 1
    _one_line(err, "--emulator", "--endpoint")


def test_plan_out_into_a_missing_directory_fails_before_reading_azure(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "plan.json"
    code, _stdout, err = _run(
        capsys, "plan", *_emulated(tmp_path), "--out", str(out), str(manifest)
    )
    assert code == 1
    _one_line(err, str(out), "does not exist")
    assert not (tmp_path / "state.json").exists()


def test_a_plan_whose_file_cannot_be_written_is_still_printed(
    manifest: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The directory disappears between the check and the write (a race, a full disk …).
    monkeypatch.setattr(outputfile, "check_writable_dir", lambda path, what: None)
    out = tmp_path / "gone" / "plan.json"
    code, stdout, err = _run(capsys, "plan", *_emulated(tmp_path), "--out", str(out), str(manifest))
    assert code == 1
    _one_line(err, str(out))
    assert "ws-clear" in stdout and "create" in stdout


def test_export_into_a_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "not-a-dir"
    target.write_text("x", encoding="utf-8")
    code, _, err = _run(
        capsys,
        "export",
        "--subscription",
        DEFAULT_SUBSCRIPTION,
        *_emulated(tmp_path),
        "--out",
        str(target),
    )
    assert code == 1
    _one_line(err, str(target), "not a directory")


def test_an_unwritable_step_summary_is_one_line_after_the_report(
    manifest: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a directory: cannot append
    code, stdout, err = _run(capsys, "drift", *_emulated(tmp_path), str(manifest))
    assert code == 1
    _one_line(err, "GITHUB_STEP_SUMMARY", str(tmp_path))
    assert "ws-clear" in stdout


def test_a_non_utf8_env_file_names_line_and_column_and_never_the_bytes(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / "bad.env"
    env.write_bytes(b"A=1\nSECRET=abc\xff\xfe\n")
    code, _out, err = _run(capsys, "validate", "--env-file", str(env), str(manifest))
    assert code == 1
    _one_line(err, f"{env}:2:11", "not UTF-8")
    assert "abc" not in err


@pytest.mark.parametrize(
    "content",
    ["{bad", "[1]", '{"workspaces": 5}', "", "[" * 100_000 + "]" * 100_000],
    ids=lambda c: repr(c[:24]),
)
@pytest.mark.parametrize("command", ["plan", "export"])
def test_a_corrupt_emulator_state_is_one_line(
    content: str, command: str, manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    state.write_text(content, encoding="utf-8")
    args = {
        "plan": [*_emulated(tmp_path), str(manifest)],
        "export": [*_emulated(tmp_path), "--subscription", DEFAULT_SUBSCRIPTION],
    }[command]
    code, _, err = _run(capsys, command, *args)
    assert code == 1
    _one_line(err, "emulator state", "state.json")


def test_an_emulator_state_whose_directory_is_a_file_is_one_line_saying_so(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was "cannot read the emulator state …: File exists", naming a read that never ran."""
    (tmp_path / "taken").write_text("", encoding="utf-8")
    state = tmp_path / "taken" / "state.json"
    code, _, err = _run(capsys, "plan", "--emulator", "--emulator-state", str(state), str(manifest))
    assert code == 1
    _one_line(err, f"{tmp_path / 'taken'}: not a directory", "--emulator-state")


def test_an_apply_whose_emulator_state_cannot_be_written_stops_before_any_put(
    manifest: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read-only checkout: every PUT used to fail alike with the emulator's HTTP 500
    ("The emulator failed: PermissionError"), one line per resource. Plan still runs: it
    writes nothing."""
    import tempfile

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refused)
    code, out, err = _run(capsys, "apply", "--auto-approve", *_emulated(tmp_path), str(manifest))
    assert code == 1
    _one_line(err, f"cannot write the emulator state in {tmp_path}", "Permission denied")
    assert "failed:" not in out
    code, _, err = _run(capsys, "plan", *_emulated(tmp_path), str(manifest))
    assert code == 0, err


def test_a_plan_keeps_nothing_in_the_emulator_state_so_a_read_only_one_serves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Comparing a connection's secret is a POST (listsecrets), after which the emulator
    saved its state: with the state's directory read-only (a CI checkout) a plan failed, six
    retries of HTTP 500 per connection; so did export. A command that changes nothing now
    keeps nothing."""
    from reconciler.emulator.state import State

    monkeypatch.setenv("CLEAR_KEY", "k1")
    path = tmp_path / "secret.yaml"
    path.write_text(
        f"{MANIFEST}---\napiVersion: reconciler/v1\nkind: Connection\n"
        "metadata: {name: keyed, workspace: ws-clear}\nspec: {properties: {category: CustomKeys, "
        "authType: CustomKeys, target: 'https://x.example.com/', "
        "credentials: {keys: {x-api-key: {fromEnv: CLEAR_KEY}}}}}\n",
        encoding="utf-8",
    )
    code, out, err = _run(capsys, "apply", "--auto-approve", *_emulated(tmp_path), str(path))
    assert code == 0, out + err

    def refused(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(State, "save", refused)
    code, out, err = _run(capsys, "plan", "--detailed-exitcode", *_emulated(tmp_path), str(path))
    assert code == 0, out + err  # the state was read: no changes
    # export learns a CustomKeys connection's key names by the same POST.
    exported = ["export", *_emulated(tmp_path), "--subscription", DEFAULT_SUBSCRIPTION]
    code, out, err = _run(capsys, *exported, "--out", str(tmp_path / "exported"))
    assert code == 0 and "1 secret variable(s) to set" in out, out + err


def test_output_files_are_replaced_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plan.json"
    path.write_text("the reviewed plan", encoding="utf-8")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", full_disk)
    with pytest.raises(OutputError, match="No space left"):
        outputfile.write_text(path, "a new plan, half written", what="the plan file")
    assert path.read_text(encoding="utf-8") == "the reviewed plan"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temp file left behind


@pytest.mark.parametrize("command", ["plan", "drift", "apply"])
def test_a_target_that_matches_nothing_is_an_error_not_a_green_no_changes(
    command: str, manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["--auto-approve"] if command == "apply" else []
    code, _, err = _run(
        capsys, command, *_emulated(tmp_path), "--target", "ws-typo", *extra, str(manifest)
    )
    assert code == 1
    _one_line(err, "'ws-typo'", "matches nothing")
    # The right target still works, and the failed apply wrote nothing.
    code, out, _ = _run(capsys, "plan", *_emulated(tmp_path), "--target", "ws-clear", str(manifest))
    assert code == 0 and "ws-clear" in out and "create" in out


def test_an_env_file_may_be_a_pipe_as_from_process_substitution(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    read, write = os.pipe()
    os.write(write, b"LOCATION_FROM_PIPE=westeurope\n")
    os.close(write)
    try:
        code, _, err = _run(capsys, "validate", "--env-file", f"/dev/fd/{read}", str(manifest))
    finally:
        os.close(read)
    assert code == 0, err


def test_an_env_file_that_is_a_directory_is_one_line(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "validate", "--env-file", str(tmp_path), str(manifest))
    assert code == 1
    _one_line(err, str(tmp_path), "env file")


@pytest.mark.parametrize(
    "tamper",
    [{"expiresIn": 10**20}, {"expiresIn": "soon"}, None],
    ids=["huge-expiry", "text-expiry", "not-an-object"],
)
def test_an_odd_notebook_token_answer_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tamper: dict[str, object] | None
) -> None:
    from reconciler.emulator import Knobs, running
    from reconciler.emulator.wire import Request, Response
    from tests.security.hostile import RewritingEmulator

    def rewrite(request: Request, response: Response) -> None:
        if request.path.endswith("/listNotebookAccessToken") and response.status == 200:
            response.body = [response.body] if tamper is None else {**response.body, **tamper}

    emulator = RewritingEmulator(
        rewrite,
        knobs=Knobs(retry_after_seconds=0),
        resource_groups=((DEFAULT_SUBSCRIPTION, "rg-clear"),),
    )
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    with running(emulator) as url:
        assert _run(capsys, "apply", "--endpoint", url, "--auto-approve", str(path))[0] == 0
        code, out, err = _run(
            capsys, "notebook-token", "--endpoint", url, "--workspace", "ws-clear", str(path)
        )
    assert code == 1 and out == ""
    _one_line(err, "unreadable answer to", "listNotebookAccessToken")
