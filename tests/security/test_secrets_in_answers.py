"""A secret the service sends back never reaches a plan.

ARM's GET of a connection carries no credentials, but a broken or compromised service, a
proxy, or an older api-version's legacy ``value`` may answer with them. Whatever the answer
holds under a connection's ``credentials`` or ``value`` (the fields the tool treats as
secrets in manifests) stays out of every format of the plan, strict or not, the saved plan
and drift's report: a plan is a PR comment and a CI artifact.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Knobs, running
from reconciler.emulator.wire import Request, Response
from tests.security.conftest import connection_manifest, run_cli, workspace_manifest
from tests.security.hostile import RewritingEmulator

ANSWERED = "secret-the-server-answered-4b1d"


def _with_secrets(body: Any) -> None:
    """Every connection of a GET or list answer, as a leaking service would send it."""
    if not isinstance(body, dict):
        return
    for item in body.get("value") if isinstance(body.get("value"), list) else [body]:
        props = item.get("properties") if isinstance(item, dict) else None
        if isinstance(props, dict) and "category" in props:
            props["credentials"] = {"key": ANSWERED}
            props["value"] = ANSWERED


def _leaking(request: Request, response: Response) -> None:
    if request.method == "GET":
        _with_secrets(response.body)


@contextlib.contextmanager
def _applied_behind_a_leaking_server(tmp_path: Path) -> Iterator[str]:
    """A workspace and its connection applied to a server whose GETs answer with the
    connection's secrets; its URL."""
    emulator = RewritingEmulator(
        _leaking,
        knobs=Knobs(retry_after_seconds=0),
        resource_groups=((DEFAULT_SUBSCRIPTION, "workspace-1234"),),
    )
    (tmp_path / "ws.yaml").write_text(workspace_manifest() + connection_manifest("aoai"))
    with running(emulator) as url:
        done = run_cli("apply", "--endpoint", url, "--auto-approve", "ws.yaml", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        yield url


def test_credentials_and_value_in_a_connection_answer_never_reach_a_plan(tmp_path: Path) -> None:
    with _applied_behind_a_leaking_server(tmp_path) as url:
        for strict in ((), ("--strict",)):
            for fmt in ("text", "json", "markdown"):
                out = tmp_path / f"{fmt}{len(strict)}.plan"
                args = ("--endpoint", url, "--format", fmt, *strict)
                shown = run_cli("plan", *args, "--out", str(out), "ws.yaml", cwd=tmp_path)
                assert shown.returncode == 0, shown.stderr
                drift = run_cli("drift", *args, "ws.yaml", cwd=tmp_path)
                assert drift.returncode in (0, 2), drift.stderr
                for text in (shown.stdout, shown.stderr, drift.stdout, out.read_text()):
                    assert ANSWERED not in text, (fmt, strict, text)


def test_a_legacy_value_in_a_connection_answer_is_never_exported(tmp_path: Path) -> None:
    """export writes manifests that go to git: a secret the service answered with, under
    ``credentials`` or the legacy ``value``, is never written (credentials become references)."""
    with _applied_behind_a_leaking_server(tmp_path) as url:
        for version in ((), ("--api-version", "2025-09-01")):
            out = tmp_path / f"exported{len(version)}"
            args = ("--subscription", DEFAULT_SUBSCRIPTION, "--out", str(out), *version)
            exported = run_cli("export", "--endpoint", url, *args, cwd=tmp_path)
            assert exported.returncode == 0, exported.stderr
            (written,) = out.rglob("victimws.yaml")
            assert "fromEnv: VICTIMWS_AOAI_KEY" in written.read_text(), written.read_text()
            for text in (exported.stdout, exported.stderr, written.read_text()):
                assert ANSWERED not in text, text
