"""Behind a proxy: the real CLI reaches an HTTPS emulator through the tunnel ``HTTPS_PROXY``
names, and goes direct to the hosts ``NO_PROXY`` lists (CI runners that reach Azure only
through a proxy)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import EXAMPLES
from tests.e2e.test_standalone_emulator import cli, emulator
from tests.tunnel import tunnelling_proxy

DEMO = ["--env-file", str(EXAMPLES / "demo.env")]


def test_a_plan_goes_through_the_proxy_the_environment_names_and_not_to_its_exceptions(
    tmp_path: Path,
) -> None:
    with emulator(tmp_path, "--https", "--demo", str(EXAMPLES), *DEMO) as (url, lines):
        cert_line = next(line for line in lines if "certificate:" in line)
        cert = cert_line.split("certificate:", 1)[1].split()[0]
        plan = ["plan", "--endpoint", url, *DEMO, str(EXAMPLES)]
        with tunnelling_proxy() as (proxy, asked):
            proxied = cli(tmp_path, *plan, SSL_CERT_FILE=cert, HTTPS_PROXY=proxy)
            tunnels = list(asked)
            asked.clear()
            excepted = cli(
                tmp_path, *plan, SSL_CERT_FILE=cert, HTTPS_PROXY=proxy, NO_PROXY="127.0.0.1"
            )
    assert proxied.returncode == 0, proxied.stderr
    host = url.removeprefix("https://").rstrip("/")
    assert tunnels and set(tunnels) == {f"CONNECT {host} HTTP/1.1"}
    assert excepted.returncode == 0, excepted.stderr
    assert asked == []
    assert excepted.stdout == proxied.stdout


def test_the_emulator_this_process_serves_is_never_sent_to_a_proxy(tmp_path: Path) -> None:
    """``--emulator`` serves on this machine's loopback, which no proxy can reach: a CI
    runner's HTTP_PROXY/ALL_PROXY (here a proxy that refuses every connection) without
    127.0.0.1 in NO_PROXY must not turn the README's main job into "connection refused"."""
    dead = "http://127.0.0.1:9"
    args = ["plan", "--emulator", *DEMO, str(EXAMPLES)]
    planned = cli(tmp_path, *args, HTTP_PROXY=dead, HTTPS_PROXY=dead, ALL_PROXY=dead)
    assert planned.returncode == 0, planned.stderr
    assert "connection refused" not in planned.stderr
