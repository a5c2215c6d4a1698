"""`reconciler destroy` end to end: the real CLI over loopback HTTP against the emulator.

It deletes what the manifests declare and nothing else, children before their workspace;
workspaces only with --include-workspaces and a confirmation naming them; Azure's soft delete
keeps a deleted workspace's name taken unless --purge, and a create refused for that reason
says so and what to do."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from reconciler.schemas import load_schema
from tests.e2e.conftest import Azure, stderr_once_the_reader_goes
from tests.linked import LINKED_YAML

DEFAULTS = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: workspace-1234, location: eastus}}
"""
WORKSPACE = f"""{DEFAULTS}---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: hub-d, apiVersion: 2025-09-01}}
spec:
  kind: Hub
  properties: {{{LINKED_YAML}, managedNetwork: {{isolationMode: AllowOnlyApprovedOutbound}}}}
"""
MANIFEST = f"""{WORKSPACE}---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: git-d, workspace: hub-d}}
spec: {{properties: {{authType: None, category: Git, target: "https://github.com/org/d"}}}}
---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {{name: pypi, workspace: hub-d}}
spec: {{properties: {{type: FQDN, destination: pypi.org}}}}
"""
# Another manifest set's connection in the same workspace: the destroy of MANIFEST leaves it.
OTHER = f"""{WORKSPACE}---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: someone-elses, workspace: hub-d}}
spec: {{properties: {{authType: None, category: Git, target: "https://github.com/org/e"}}}}
"""


def _files(tmp_path: Path) -> tuple[Path, Path]:
    main, other = tmp_path / "main.yaml", tmp_path / "other.yaml"
    main.write_text(MANIFEST, encoding="utf-8")
    other.write_text(OTHER, encoding="utf-8")
    return main, other


def _applied(azure: Azure, tmp_path: Path) -> tuple[Path, Path]:
    main, other = _files(tmp_path)
    for file in (main, other):
        done = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(file))
        assert done.returncode == 0, done.stdout + done.stderr
    return main, other


def _actions(azure: Azure, file: Path) -> dict[str, tuple[str, str]]:
    """What `plan` says of each resource of ``file``: name -> (action, code)."""
    planned = azure.process("plan", "--endpoint", azure.url, "--format", "json", str(file))
    assert planned.returncode == 0, planned.stderr
    changes = json.loads(planned.stdout)["changes"]
    return {c["address"].rsplit("/", 1)[-1]: (c["action"], c["code"]) for c in changes}


def _destroy(azure: Azure, *args: str) -> tuple[int, str, str]:
    done = azure.process("destroy", "--endpoint", azure.url, *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


def test_destroy_deletes_declared_connections_and_rules_and_nothing_else(
    azure: Azure, tmp_path: Path
) -> None:
    main, other = _applied(azure, tmp_path)
    code, out, err = _destroy(azure, "--auto-approve", str(main))
    assert code == 0, out + err
    assert "- Connection/" in out and "- OutboundRule/" in out
    assert "hub-d  (no-op: kept: destroy deletes a workspace only with --include-workspaces)" in out
    assert "Destroy: 2 deleted, 0 failed, 0 skipped." in out
    after = _actions(azure, main)
    assert after["hub-d"] == ("no-op", "matches_manifest")
    assert after["git-d"] == ("create", "not_found")
    assert after["pypi"] == ("create", "not_found")
    # The undeclared connection in the same workspace survives.
    assert _actions(azure, other)["someone-elses"] == ("no-op", "matches_manifest")
    # A rerun converges: what is gone is a no-op with its reason, nothing is deleted.
    code, out, err = _destroy(azure, "--auto-approve", "--format", "json", str(main))
    assert code == 0, out + err
    codes = {c["address"].rsplit("/", 1)[-1]: c["code"] for c in json.loads(out)["changes"]}
    assert codes["git-d"] == codes["pypi"] == "already_absent"
    assert "Nothing to destroy." in err


def test_a_plan_only_destroy_shows_and_saves_the_plan_and_deletes_nothing(
    azure: Azure, tmp_path: Path
) -> None:
    """A pull request that tears a team down is reviewed on its destroy plan, in CI, without a
    terminal and without deleting anything; the plan is what a later destroy would do."""
    main, _ = _applied(azure, tmp_path)
    saved = tmp_path / "destroy.json"
    code, out, err = _destroy(
        azure, "--plan-only", "--include-workspaces", "--out", str(saved), str(main)
    )
    assert code == 0, out + err
    assert "--plan-only: nothing was deleted." in err
    assert "- Workspace/" in out and "- Connection/" in out
    assert json.loads(saved.read_text())["summary"]["delete"] == 3
    declared = {k: v for k, v in _actions(azure, main).items() if k in ("hub-d", "git-d", "pypi")}
    assert set(declared.values()) == {("no-op", "matches_manifest")}


def test_workspaces_are_not_deleted_without_a_confirmation_naming_them(
    azure: Azure, tmp_path: Path
) -> None:
    main, _ = _applied(azure, tmp_path)
    code, _, err = _destroy(azure, "--include-workspaces", "--auto-approve", str(main))
    assert code == 1
    assert "--confirm-workspaces hub-d" in err and "nothing was deleted" in err
    code, _, err = _destroy(
        azure, "--include-workspaces", "--auto-approve", "--confirm-workspaces", "hub-x", str(main)
    )
    assert code == 1
    assert "missing hub-d; not deleted by this plan: hub-x; nothing was deleted" in err
    code, _, err = _destroy(azure, "--purge", "--auto-approve", str(main))
    assert code == 1 and "give --include-workspaces too" in err
    # Refused before anything was deleted: the children are still there too.
    declared = {k: v for k, v in _actions(azure, main).items() if k in ("hub-d", "git-d", "pypi")}
    assert set(declared.values()) == {("no-op", "matches_manifest")}


def test_a_soft_deleted_workspace_holds_its_name_and_the_refused_create_says_why(
    azure: Azure, tmp_path: Path
) -> None:
    main, _ = _applied(azure, tmp_path)
    code, out, err = _destroy(
        azure,
        "--include-workspaces",
        "--confirm-workspaces",
        "hub-d",
        "--auto-approve",
        str(main),
    )
    assert code == 0, out + err
    assert "destroy soft-deletes it; Azure keeps it 14 days and its name stays taken" in out
    assert "Destroy: 3 deleted, 0 failed, 0 skipped." in out
    again = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(main))
    assert again.returncode == 1
    assert "Traceback" not in again.stderr
    failed = next(line for line in again.stderr.splitlines() if line.startswith("failed:"))
    assert "the name 'hub-d' is held by a soft-deleted workspace" in failed
    assert "Recently deleted" in failed and "--purge" in failed and "another name" in failed
    assert "Soft-deleted workspace exists" in failed  # Azure's own words, quoted after


def test_destroy_with_purge_frees_the_name(azure: Azure, tmp_path: Path) -> None:
    main, _ = _applied(azure, tmp_path)
    saved = tmp_path / "destroy.json"
    code, out, err = _destroy(
        azure,
        "--include-workspaces",
        "--confirm-workspaces",
        "HUB-D",
        "--purge",
        "--auto-approve",
        "--format",
        "json",
        "--out",
        str(saved),
        str(main),
    )
    assert code == 0, out + err
    document = json.loads(saved.read_text(encoding="utf-8"))
    jsonschema.validate(document, load_schema("plan.schema.json"))
    assert document["command"] == "destroy"
    changes = {c["address"].rsplit("/", 1)[-1]: c for c in document["changes"]}
    assert changes["hub-d"]["code"] == "destroyed_purged"
    # Not declared here, never deleted by itself; the workspace that goes takes it along, and
    # its change says so by name.
    assert changes["someone-elses"]["action"] == "unmanaged"
    assert "(someone-elses)" in changes["hub-d"]["warnings"][0]
    assert "Destroy: 3 deleted" in err  # with --format json, progress goes to stderr
    again = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(main))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "3 created" in again.stdout


def test_a_reader_that_closes_the_output_mid_destroy_leaves_the_running_deletes_listed(
    azure: Azure, tmp_path: Path
) -> None:
    """`destroy --auto-approve | head`: as apply does, destroy starts no further delete and
    lists on stderr the one still running in Azure, exit 1 (before: one line, "broken pipe",
    and no word of the workspace still being deleted)."""
    manifest = tmp_path / "ws.yaml"
    manifest.write_text(WORKSPACE, encoding="utf-8")
    applied = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(manifest))
    assert applied.returncode == 0, applied.stderr
    azure.emulator.knobs.update({"provisioning_seconds": 3600})  # the delete never ends here
    command = ["destroy", "--endpoint", azure.url, "--include-workspaces"]
    command += ["--confirm-workspaces", "hub-d", "--auto-approve", str(manifest)]
    # Gone once the delete is started: every poll of it then writes a line to the pipe.
    err = stderr_once_the_reader_goes(command, after="hub-d  started")
    assert "reader closed it early (broken pipe): no further deletes were started" in err, err
    assert "still running in Azure: Workspace/" in err and "/hub-d (" in err, err
    assert "rerun destroy to converge" in err, err


def test_an_undeclared_rule_of_a_hub_it_deletes_is_said_to_go_with_it(
    azure: Azure, tmp_path: Path
) -> None:
    """destroy has no --prune: an undeclared rule of a workspace it deletes is not "left alone
    (--prune deletes it)", it goes with the workspace; under a workspace kept, no --prune."""
    main, _ = _files(tmp_path)
    with_npm = tmp_path / "with-npm.yaml"
    with_npm.write_text(MANIFEST + NPM_RULE, encoding="utf-8")
    done = azure.process("apply", "--endpoint", azure.url, "--auto-approve", str(with_npm))
    assert done.returncode == 0, done.stdout + done.stderr
    code, out, err = _destroy(
        azure, "--plan-only", "--include-workspaces", "--format", "json", str(main)
    )
    assert code == 0, out + err
    rule = next(c for c in json.loads(out)["changes"] if c["address"].endswith("/npm"))
    assert rule["action"] == "unmanaged"
    assert "--prune" not in rule["reason"] and "left alone" not in rule["reason"]
    assert "deleted with its workspace hub-d" in rule["reason"]
    code, out, err = _destroy(azure, "--plan-only", str(main))
    assert code == 0, out + err
    assert "npm" in out and "--prune" not in out


NPM_RULE = """---
apiVersion: reconciler/v1
kind: OutboundRule
metadata: {name: npm, workspace: hub-d}
spec: {properties: {type: FQDN, destination: registry.npmjs.org}}
"""
