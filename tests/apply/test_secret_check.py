"""A secret that changes between ``plan --out`` and ``apply --plan`` makes the saved plan
stale: apply refuses it rather than send a value nobody reviewed. The saved plan holds no
secret and nothing cheap to test a guess against."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from reconciler.apply import secretcheck
from reconciler.cli import main
from reconciler.emulator import DEFAULT_SUBSCRIPTION
from tests.linked import LINKED_YAML

CONNECTION = (("sub", "rg", "ws", "git"), "properties.credentials.pat")
MANIFEST = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: rg-stale, location: westeurope}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-stale}}
spec: {{properties: {{description: hello, {LINKED_YAML}}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: git-stale, workspace: ws-stale}}
spec: {{properties: {{authType: PAT, category: Git, target: "https://git/a",
                      credentials: {{pat: {{fromEnv: STALE_PAT}}}}}}}}
"""


def test_the_stamp_holds_neither_the_value_nor_a_plain_hash_of_it() -> None:
    value = "canary-pat-0815"
    text = json.dumps(secretcheck.stamp({CONNECTION: value}))
    assert value not in text
    for algorithm in ("md5", "sha1", "sha256", "sha512"):
        digest = hashlib.new(algorithm, value.encode()).digest()
        assert digest.hex() not in text and base64.b64encode(digest).decode() not in text


def test_every_plan_salts_its_stamps_afresh() -> None:
    first = secretcheck.stamp({CONNECTION: "same"})
    second = secretcheck.stamp({CONNECTION: "same"})
    assert first["connections"] != second["connections"]


def test_a_changed_or_vanished_value_is_detected_and_an_unchanged_one_accepted() -> None:
    saved = secretcheck.stamp({CONNECTION: "before"})
    assert secretcheck.changed(saved, {CONNECTION: "before"}) == []
    assert secretcheck.changed(saved, {CONNECTION: "after"}) == ["sub/rg/ws/git"]
    assert secretcheck.changed(saved, {}) == ["sub/rg/ws/git"]


@pytest.mark.parametrize(
    "saved", [None, [], {"scheme": "sha256"}, {**secretcheck.stamp({}), "nonce": "%%"}]
)
def test_an_unreadable_stamp_counts_as_changed(saved: object) -> None:
    assert secretcheck.changed(saved, {CONNECTION: "x"})


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_apply_refuses_a_saved_plan_whose_secret_changed_since(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    emulated = ["--emulator", "--emulator-state", str(tmp_path / "state.json")]
    saved = tmp_path / "plan.json"
    monkeypatch.setenv("STALE_PAT", "reviewed-value-1")
    code, _, err = _cli(capsys, "plan", *emulated, "--out", str(saved), str(manifest))
    assert code == 0, err
    assert "reviewed-value-1" not in saved.read_text(encoding="utf-8")

    monkeypatch.setenv("STALE_PAT", "swapped-value-2")
    code, _, err = _cli(capsys, "apply", *emulated, "--plan", str(saved), str(manifest))
    assert code == 1
    assert err.count("\n") == 1 and "git-stale" in err and "changed since" in err
    assert "swapped-value-2" not in err
    code, out, _ = _cli(capsys, "plan", *emulated, "--format", "json", str(manifest))
    assert json.loads(out)["summary"]["create"] == 2  # nothing was written

    monkeypatch.setenv("STALE_PAT", "reviewed-value-1")
    code, _, err = _cli(capsys, "apply", *emulated, "--plan", str(saved), str(manifest))
    assert code == 0, err


def test_apply_refuses_a_plan_written_to_stdout_that_would_send_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``plan --format json > plan.json`` (Terraform's habit) carries no stamp: nothing could
    tell a rotated secret from the reviewed one. Refused when it would send secrets; a plan
    that sends none applies as before."""
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    emulated = ["--emulator", "--emulator-state", str(tmp_path / "state.json")]
    monkeypatch.setenv("STALE_PAT", "reviewed-value-1")
    code, out, err = _cli(capsys, "plan", *emulated, "--format", "json", str(manifest))
    assert code == 0, err
    printed = tmp_path / "printed.json"
    printed.write_text(out, encoding="utf-8")

    monkeypatch.setenv("STALE_PAT", "swapped-value-2")
    code, _, err = _cli(capsys, "apply", *emulated, "--plan", str(printed), str(manifest))
    assert code == 1
    assert err.count("\n") == 1 and "git-stale" in err and "plan --out" in err
    code, out, _ = _cli(capsys, "plan", *emulated, "--format", "json", str(manifest))
    assert json.loads(out)["summary"]["create"] == 2  # nothing was written

    no_secrets = MANIFEST.replace("authType: PAT", "authType: None").replace(
        ",\n                      credentials: {pat: {fromEnv: STALE_PAT}}", ""
    )
    assert "STALE_PAT" not in no_secrets
    manifest.write_text(no_secrets, encoding="utf-8")
    code, out, err = _cli(capsys, "plan", *emulated, "--format", "json", str(manifest))
    printed.write_text(out, encoding="utf-8")
    code, _, err = _cli(capsys, "apply", *emulated, "--plan", str(printed), str(manifest))
    assert code == 0, err
