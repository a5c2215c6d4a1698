"""export writes only inside --out, and only what it read, whatever the service answers with.

A workspace's exported file is ``OUT/<resource group>/<name>.yaml``, both parts taken from the
service's answer. A compromised or spoofed service (or a proxy) answering a name such as
``../../x`` or an absolute path must not make export write, say, a CI workflow file of the
operator's checkout: such a name is refused before anything is written. The ids and names
quoted in the file's header comments stay comments, and an id that names no resource group is
an unreadable answer, one line, not a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Knobs, running
from reconciler.emulator.wire import Request, Response
from tests.security.conftest import (
    RG,
    Completed,
    assert_no_canary,
    connection_manifest,
    run_cli,
    workspace_manifest,
)
from tests.security.hostile import RewritingEmulator


def _export(url: str, cwd: Path, *out: str) -> Completed:
    """``reconciler export`` of the whole subscription, from ``cwd`` (``--out`` if given)."""
    where = ["--out", *out] if out else []
    return run_cli(
        "export", "--endpoint", url, "--subscription", DEFAULT_SUBSCRIPTION, *where, cwd=cwd
    )


ESCAPES = {
    "parent directories": "../../../escaped",
    "an absolute path": "{root}/workflows/deploy",
    "a subdirectory": "nested/escaped",
}


@pytest.mark.parametrize("hostile_name", list(ESCAPES.values()), ids=list(ESCAPES))
def test_a_workspace_name_from_the_server_cannot_place_the_file_outside_out(
    tmp_path: Path, hostile_name: str
) -> None:
    name = hostile_name.format(root=tmp_path)
    tampering = {"on": False}

    def tamper(request: Request, response: Response) -> None:
        if not tampering["on"] or request.method != "GET":
            return
        if "/workspaces/" in request.path:  # what lives in the renamed workspace
            response.status, response.body = 200, {"value": []}
            return
        body = response.body
        if isinstance(body, dict):
            for item in body.get("value") or []:
                if isinstance(item, dict) and item.get("name") == "victimws":
                    item["name"] = name

    emulator = RewritingEmulator(
        tamper, knobs=Knobs(retry_after_seconds=0), resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    checkout = tmp_path / "checkout" / "deep"
    checkout.mkdir(parents=True)
    (checkout / "m.yaml").write_text(workspace_manifest())
    with running(emulator) as url:
        applied = run_cli("apply", "--endpoint", url, "--auto-approve", "m.yaml", cwd=checkout)
        assert applied.returncode == 0, applied.stderr
        tampering["on"] = True
        done = _export(url, checkout, "out")
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "not a file name" in done.stderr
    written = [p for p in tmp_path.rglob("*.yaml") if p != checkout / "m.yaml"]
    assert written == []
    assert_no_canary(done.stdout, done.stderr)


INJECTED = "\ninjected: true\n---\napiVersion: reconciler/v1\nkind: Connection"


@pytest.mark.parametrize("field", ["workspace id", "connection name"])
def test_a_line_break_in_a_served_value_cannot_add_yaml_to_the_exported_header(
    tmp_path: Path, field: str
) -> None:
    """The file's header comments name the workspace's id and each credential variable's
    connection: a value holding a line break must stay inside its comment line."""
    tampering = {"on": False}

    def tamper(request: Request, response: Response) -> None:
        body = response.body
        if not tampering["on"] or request.method != "GET" or not isinstance(body, dict):
            return
        for item in body.get("value") or []:
            if not isinstance(item, dict):
                continue
            if field == "workspace id" and item.get("name") == "victimws":
                item["id"] = str(item["id"]) + INJECTED
            if field == "connection name" and item.get("name") == "aoai":
                item["name"] = "aoai" + INJECTED

    emulator = RewritingEmulator(
        tamper, knobs=Knobs(retry_after_seconds=0), resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    (tmp_path / "m.yaml").write_text(workspace_manifest() + connection_manifest("aoai"))
    with running(emulator) as url:
        applied = run_cli("apply", "--endpoint", url, "--auto-approve", "m.yaml", cwd=tmp_path)
        assert applied.returncode == 0, applied.stderr
        tampering["on"] = True
        done = _export(url, tmp_path, "out")
    assert done.returncode == 0, done.stderr
    (exported,) = (tmp_path / "out").rglob("*.yaml")
    lines = exported.read_text().splitlines()
    assert not [line for line in lines if line.startswith("injected")]
    documents = [line for line in lines if line.startswith("kind:")]
    assert documents == ["kind: Workspace", "kind: Connection"]


@pytest.mark.parametrize("served_id", [None, "x", "/subscriptions"], ids=["none", "x", "cut"])
def test_a_listed_workspace_whose_id_names_no_resource_group_is_one_line(
    tmp_path: Path, served_id: str | None
) -> None:
    """Its file's directory and its connections' paths come from the id: without one that
    names a subscription and a resource group the answer is unreadable (not a traceback)."""
    tampering = {"on": False}

    def tamper(request: Request, response: Response) -> None:
        body = response.body
        if tampering["on"] and request.method == "GET" and isinstance(body, dict):
            for item in body.get("value") or []:
                if isinstance(item, dict) and item.get("name") == "victimws":
                    item["id"] = served_id

    emulator = RewritingEmulator(
        tamper, knobs=Knobs(retry_after_seconds=0), resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    (tmp_path / "m.yaml").write_text(workspace_manifest())
    with running(emulator) as url:
        applied = run_cli("apply", "--endpoint", url, "--auto-approve", "m.yaml", cwd=tmp_path)
        assert applied.returncode == 0, applied.stderr
        tampering["on"] = True
        done = _export(url, tmp_path)
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "unreadable answer to GET" in done.stderr
    assert not (tmp_path / "exported").exists()


def test_a_listed_connection_whose_metadata_is_not_an_object_is_one_line(tmp_path: Path) -> None:
    tampering = {"on": False}

    def tamper(request: Request, response: Response) -> None:
        body = response.body
        if tampering["on"] and request.method == "GET" and isinstance(body, dict):
            for item in body.get("value") or []:
                if isinstance(item, dict) and item.get("name") == "aoai":
                    item["properties"]["metadata"] = "not an object"

    emulator = RewritingEmulator(
        tamper, knobs=Knobs(retry_after_seconds=0), resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    (tmp_path / "m.yaml").write_text(workspace_manifest() + connection_manifest("aoai"))
    with running(emulator) as url:
        applied = run_cli("apply", "--endpoint", url, "--auto-approve", "m.yaml", cwd=tmp_path)
        assert applied.returncode == 0, applied.stderr
        tampering["on"] = True
        done = _export(url, tmp_path)
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "unreadable answer to GET" in done.stderr and "aoai" in done.stderr
    assert not (tmp_path / "exported").exists()


@pytest.mark.parametrize("linked", ["out/<rg>", "out"])
def test_a_symbolic_link_where_export_writes_cannot_lead_it_outside_out(
    tmp_path: Path, linked: str
) -> None:
    """A pull request can commit ``exported/<rg>`` as a link to ``.github/workflows``; the
    scheduled export that follows must refuse it, not overwrite what it points to."""
    emulator = RewritingEmulator(
        lambda request, response: None,
        knobs=Knobs(retry_after_seconds=0),
        resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
    )
    checkout = tmp_path / "checkout"
    workflows = checkout / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (checkout / "m.yaml").write_text(workspace_manifest())
    if linked == "out":
        (checkout / "out").symlink_to(workflows, target_is_directory=True)
    else:
        (checkout / "out").mkdir()
        (checkout / "out" / RG).symlink_to(workflows, target_is_directory=True)
    with running(emulator) as url:
        applied = run_cli("apply", "--endpoint", url, "--auto-approve", "m.yaml", cwd=checkout)
        assert applied.returncode == 0, applied.stderr
        done = _export(url, checkout, "out")
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    assert "symbolic link" in done.stderr, done.stderr
    assert list(workflows.iterdir()) == []
