"""Behind a proxy: the real CLI reaches Azure through the tunnel ``HTTPS_PROXY`` names (CI
runners that reach Azure only through a proxy), and never sends this machine's loopback to it.

"Azure" here is the emulator serving as management.azure.com on loopback: the proxy's tunnels
all lead to it, its certificate names that host, and the Azure CLI credential is a stand-in
``az`` on PATH, so the CLI runs exactly as against Azure: its endpoint, its sign-in, its TLS.

Behind a proxy that inspects TLS, every certificate is the proxy's: the runner names its CA in
``REQUESTS_CA_BUNDLE`` (for the Azure CLI) or ``SSL_CERT_FILE``; the emulator's self-signed
certificate stands for that CA here.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, running
from reconciler.emulator.tls import self_signed
from tests.e2e.conftest import EXAMPLES
from tests.e2e.test_standalone_emulator import cli, emulator
from tests.tunnel import tunnelling_proxy

DEMO = ["--env-file", str(EXAMPLES / "demo.env")]
ARM = "management.azure.com"
WORKSPACE = f"""apiVersion: reconciler/v1
kind: Workspace
metadata:
  name: ws-behind-proxy
  subscription: {DEFAULT_SUBSCRIPTION}
  resourceGroup: rg-proxy
spec:
  location: westeurope
"""


def _signed_in_with_the_azure_cli(home: Path) -> dict[str, str]:
    """An ``az`` that answers ``az account get-access-token`` as a signed-in CLI does."""
    token = {
        "accessToken": "cli-token-canary",
        "expiresOn": "2099-01-01 00:00:00.000000",
        "expires_on": 4070908800,
        "tokenType": "Bearer",
        "subscription": DEFAULT_SUBSCRIPTION,
        "tenant": "00000000-0000-0000-0000-000000000000",
    }
    bin_dir = home / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(token)}\nEOF\n")
    az.chmod(0o755)
    return {"HOME": str(home), "PATH": f"{bin_dir}:/usr/bin:/bin"}


def test_a_plan_against_azure_goes_through_the_proxy_the_environment_names(
    tmp_path: Path,
) -> None:
    (tmp_path / "ws.yaml").write_text(WORKSPACE)
    cert, key = self_signed(tmp_path / "tls", ARM)
    azure = Emulator(
        knobs=Knobs(retry_after_seconds=0), resource_groups=((DEFAULT_SUBSCRIPTION, "rg-proxy"),)
    )
    with running(azure, certificate=(cert, key)) as url:
        port = int(url.rsplit(":", 1)[1].rstrip("/"))
        with tunnelling_proxy(to=("127.0.0.1", port)) as (proxy, asked):
            planned = cli(
                tmp_path,
                *("plan", "--endpoint", f"https://{ARM}", "--secrets", "skip", "ws.yaml"),
                SSL_CERT_FILE=str(cert),
                HTTPS_PROXY=proxy,
                **_signed_in_with_the_azure_cli(tmp_path),
            )
    assert planned.returncode == 0, planned.stderr
    assert "ws-behind-proxy  (create: not found in Azure)" in planned.stdout
    assert asked and set(asked) == {f"CONNECT {ARM}:443 HTTP/1.1"}


def test_an_endpoint_on_loopback_is_reached_directly_whatever_the_proxy(tmp_path: Path) -> None:
    """No proxy can reach this machine's loopback (nor should it see the token): without
    127.0.0.1 in NO_PROXY, an emulator started by hand is still reached directly."""
    with emulator(tmp_path, "--https", "--demo", str(EXAMPLES), *DEMO) as (url, lines):
        cert_line = next(line for line in lines if "certificate:" in line)
        cert = cert_line.split("certificate:", 1)[1].split()[0]
        plan = ["plan", "--endpoint", url, *DEMO, str(EXAMPLES)]
        with tunnelling_proxy() as (proxy, asked):
            planned = cli(tmp_path, *plan, SSL_CERT_FILE=cert, HTTPS_PROXY=proxy)
    assert planned.returncode == 0, planned.stderr
    assert asked == []


def test_the_emulator_this_process_serves_is_never_sent_to_a_proxy(tmp_path: Path) -> None:
    """``--emulator`` serves on this machine's loopback, which no proxy can reach: a CI
    runner's HTTP_PROXY/ALL_PROXY (here a proxy that refuses every connection) without
    127.0.0.1 in NO_PROXY must not turn the README's main job into "connection refused"."""
    dead = "http://127.0.0.1:9"
    args = ["plan", "--emulator", *DEMO, str(EXAMPLES)]
    planned = cli(tmp_path, *args, HTTP_PROXY=dead, HTTPS_PROXY=dead, ALL_PROXY=dead)
    assert planned.returncode == 0, planned.stderr
    assert "connection refused" not in planned.stderr


def _https_emulator(tmp_path: Path) -> tuple[Emulator, Path, Path]:
    (tmp_path / "ws.yaml").write_text(WORKSPACE)
    cert, key = self_signed(tmp_path / "tls")
    azure = Emulator(resource_groups=((DEFAULT_SUBSCRIPTION, "rg-proxy"),))
    return azure, cert, key


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_the_ca_bundle_set_for_the_azure_cli_is_trusted(tmp_path: Path, variable: str) -> None:
    """A runner behind a TLS-inspecting proxy sets REQUESTS_CA_BUNDLE so that ``az`` works:
    that alone lets a plan reach an https endpoint this CA signed."""
    azure, cert, key = _https_emulator(tmp_path)
    with running(azure, certificate=(cert, key)) as url:
        plan = ["plan", "--endpoint", url, "--secrets", "skip", "ws.yaml"]
        planned = cli(tmp_path, *plan, **{variable: str(cert)})
    assert planned.returncode == 0, planned.stderr
    assert "ws-behind-proxy  (create: not found in Azure)" in planned.stdout


def test_ssl_cert_file_wins_over_requests_ca_bundle(tmp_path: Path) -> None:
    """Both set: SSL_CERT_FILE's CA is trusted, REQUESTS_CA_BUNDLE's is not read (each pointed
    in turn at a CA that did not sign the endpoint's certificate)."""
    azure, cert, key = _https_emulator(tmp_path)
    wrong, _ = self_signed(tmp_path / "other-ca")
    with running(azure, certificate=(cert, key)) as url:
        plan = ["plan", "--endpoint", url, "--secrets", "skip", "ws.yaml"]
        trusted = cli(tmp_path, *plan, SSL_CERT_FILE=str(cert), REQUESTS_CA_BUNDLE=str(wrong))
        untrusted = cli(tmp_path, *plan, SSL_CERT_FILE=str(wrong), REQUESTS_CA_BUNDLE=str(cert))
    assert trusted.returncode == 0, trusted.stderr
    assert untrusted.returncode == 1
    assert untrusted.stderr.count("\n") == 1, untrusted.stderr
    assert f"not in the CA bundle SSL_CERT_FILE names ({wrong})" in untrusted.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_proxy_that_is_down_is_named_not_azure(tmp_path: Path) -> None:
    """HTTPS_PROXY at a closed port: the error names the proxy (host and port, never its user
    name or password) and the variable, not "connection refused" from management.azure.com,
    which sends users to debug Azure."""
    (tmp_path / "ws.yaml").write_text(WORKSPACE)
    port = _closed_port()
    planned = cli(
        tmp_path,
        *("plan", "--endpoint", f"https://{ARM}", "--retries", "0", "--secrets", "skip"),
        "ws.yaml",
        HTTPS_PROXY=f"http://user:secretpw@127.0.0.1:{port}",
        **_signed_in_with_the_azure_cli(tmp_path),
    )
    assert planned.returncode == 1
    assert planned.stderr.startswith(
        f"error: could not connect to the proxy 127.0.0.1:{port} (HTTPS_PROXY): connection refused"
    ), planned.stderr
    assert planned.stderr.count("\n") == 1 and "Traceback" not in planned.stderr
    said = planned.stdout + planned.stderr
    assert "secretpw" not in said and "user" not in said
