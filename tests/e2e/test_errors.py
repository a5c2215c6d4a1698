"""Failures reach the user as one clear line and a non-zero exit — never a traceback."""

from __future__ import annotations

import gc
import socket
import threading
import warnings
from pathlib import Path

import pytest

from reconciler.cli import main
from tests.e2e.conftest import EXAMPLES, Azure


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "plan",
            "--endpoint",
            f"http://127.0.0.1:{_closed_port()}",
            "--retries",
            "0",
            "--env-file",
            str(EXAMPLES / "demo.env"),
            str(EXAMPLES),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: no answer from 127.0.0.1:")
    assert "after 1 attempt(s): connection refused" in err
    assert "x-ms-client-request-id" in err
    assert "Traceback" not in err and "httpx" not in err


def test_an_endpoint_that_hangs_up_during_the_tls_handshake_is_not_called_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Something listens (a load balancer with no backend, a port speaking another protocol)
    and closes the connection: "connection refused or unreachable" sent users to check a
    firewall that let them through."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def hang_up() -> None:
            while True:  # every connection the plan opens, until the listener shuts down
                try:
                    connection, _ = listener.accept()
                except OSError:
                    return
                connection.close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        code = main(
            [
                "plan", "--endpoint", f"https://127.0.0.1:{port}", "--retries", "0",
                "--env-file", str(EXAMPLES / "demo.env"), str(EXAMPLES),
            ]
        )  # fmt: skip
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting in the thread
        thread.join(timeout=30)
        assert not thread.is_alive()
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"error: no answer from 127.0.0.1:{port}"), err
    assert "before its TLS handshake completed" in err and "refused" not in err, err


def test_https_to_a_plain_http_port_says_the_server_does_not_speak_tls(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    """The emulator serves plain http by default: `--endpoint https://127.0.0.1:PORT` met
    "the connection could not be made", which sent users to look for a firewall.

    The requests still in their handshake when the first one fails are cancelled as the
    command ends: their sockets are closed then, not left for the collector to warn about in
    whichever test runs next (tests/arm/test_sockets.py)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(
            [
                "plan", "--endpoint", azure.url.replace("http://", "https://"), "--retries", "0",
                "--env-file", str(EXAMPLES / "demo.env"), str(EXAMPLES),
            ]
        )  # fmt: skip
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    err = capsys.readouterr().err
    assert code == 1
    assert "the server does not speak TLS there (an http:// endpoint given as https://?)" in err
    assert "Traceback" not in err


def test_plain_http_is_refused_off_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "plan",
            "--endpoint",
            "http://management.example.com",
            "--env-file",
            str(EXAMPLES / "demo.env"),
            str(EXAMPLES),
        ]
    )
    assert code == 1
    assert "only loopback endpoints" in capsys.readouterr().err


def test_bad_manifest_makes_no_call(
    azure: Azure, capsys: pytest.CaptureFixture[str], tmp_path: pytest.TempPathFactory
) -> None:
    bad = EXAMPLES.parent.parent / "tests/manifest/corpus/invalid/unknown-field-typo.yaml"
    code, _, err = azure.cli("plan", "--endpoint", azure.url, str(bad), capsys=capsys)
    assert code == 1
    assert "unknown field 'friendlyNme'" in err
    assert azure.emulator.stats()["total"] == 0


def test_arm_errors_are_one_line_with_the_request_id(
    azure: Azure, capsys: pytest.CaptureFixture[str]
) -> None:
    azure.emulator.knobs.error_500_rate = 1.0
    code, _, err = azure.cli(
        "plan", "--endpoint", azure.url, "--retries", "1", str(EXAMPLES), capsys=capsys
    )
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "InternalServerError" in lines[0] and "x-ms-client-request-id" in lines[0]


def test_the_endpoint_can_come_from_the_environment(
    azure: Azure, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_ARM_ENDPOINT", azure.url)
    code = main(["plan", "--playwright-endpoint", azure.url, str(EXAMPLES)])
    assert code == 0, capsys.readouterr().err
    assert azure.emulator.stats()["total"] >= 1


def test_drift_without_secret_comparison_needs_no_secrets(
    azure: Azure, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AZURE_OPENAI_API_KEY", "DATALAKE_SP_CLIENT_SECRET"):
        monkeypatch.delenv(name)
    code, _, err = azure.cli("plan", "--endpoint", azure.url, str(EXAMPLES), capsys=capsys)
    assert code == 1 and "AZURE_OPENAI_API_KEY is not set" in err
    code, out, _ = azure.cli(
        "drift", "--endpoint", azure.url, "--secrets", "skip", str(EXAMPLES), capsys=capsys
    )
    assert code == 2 and "secrets were not compared (--secrets skip)" in out
    code, _, _ = azure.cli(
        "apply",
        "--endpoint",
        azure.url,
        "--secrets",
        "skip",
        "--auto-approve",
        str(EXAMPLES),
        capsys=capsys,
    )
    assert code == 1  # apply sends the secrets: it needs them whatever --secrets says


@pytest.mark.parametrize("workspaces", [1, 3], ids=["read-by-GET", "read-by-list"])
def test_a_missing_resource_group_is_a_warning_not_a_failure(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str], workspaces: int
) -> None:
    docs = [
        "apiVersion: reconciler/v1\nkind: Defaults\nspec: {subscription: "
        "00000000-1111-2222-3333-444444444444, resourceGroup: no-such-rg, location: eastus}\n"
    ]
    docs += [
        f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: ws{i}}}\nspec: {{}}\n"
        for i in range(workspaces)
    ]
    (tmp_path / "m.yaml").write_text("---\n".join(docs))
    code, out, _ = azure.cli("plan", "--endpoint", azure.url, str(tmp_path), capsys=capsys)
    assert code == 0
    assert out.count("warning: resource group 'no-such-rg' does not exist") == workspaces
