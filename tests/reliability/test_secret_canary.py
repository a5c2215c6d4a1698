"""No credential value appears anywhere: every command, every format, debug logs, errors.

The example manifests' secrets are set to unique canary strings; the emulator also holds a
different canary (a secret rotated "in the portal"). Real processes, real loopback HTTP.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import CANARIES, EXAMPLES, Azure

PORTAL_CANARY = "canary-set-in-portal-42ab"
WS_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/workspace-1234/"
    "providers/Microsoft.MachineLearningServices/workspaces/testworkspace"
)


def _assert_clean(*texts: str) -> None:
    for text in texts:
        for canary in [*CANARIES.values(), PORTAL_CANARY]:
            assert canary not in text, f"secret {canary!r} leaked"


def test_no_secret_in_any_output(azure: Azure, tmp_path: Path) -> None:
    outputs: list[str] = []

    def run(*args: str) -> int:
        done = azure.process("-vv", *args)
        outputs.extend([done.stdout, done.stderr])
        return done.returncode

    endpoint = ["--endpoint", azure.url]
    assert run("validate", str(EXAMPLES)) == 0
    for fmt in ("text", "json", "markdown"):
        assert (
            run(
                "plan",
                *endpoint,
                "--format",
                fmt,
                "--out",
                str(tmp_path / f"{fmt}.json"),
                str(EXAMPLES),
            )
            == 0
        )
    assert run("apply", *endpoint, "--auto-approve", str(EXAMPLES)) == 0
    azure.emulator.edit(
        WS_ID + "/connections/datalake-sp",
        {"properties": {"credentials": {"clientSecret": PORTAL_CANARY}}},
    )
    summary = tmp_path / "summary.md"
    for fmt in ("text", "json", "markdown"):
        done = azure.process(
            "-vv",
            "drift",
            *endpoint,
            "--format",
            fmt,
            str(EXAMPLES),
            env={"GITHUB_STEP_SUMMARY": str(summary)},
        )
        assert done.returncode == 2
        outputs.extend([done.stdout, done.stderr])
    assert run("apply", *endpoint, "--auto-approve", str(EXAMPLES)) == 0
    azure.emulator.knobs.error_500_rate = 1.0
    assert run("apply", *endpoint, "--auto-approve", "--retries", "0", str(EXAMPLES)) == 1
    files = [p.read_text() for p in tmp_path.iterdir()]
    _assert_clean(*outputs, *files)
    assert any("(sensitive value changed)" in o for o in outputs)
    assert any("INFO reconciler.arm" in o for o in outputs)  # request logging was really on
    assert not any("httpcore" in o or "DEBUG httpx" in o for o in outputs)  # only our loggers
