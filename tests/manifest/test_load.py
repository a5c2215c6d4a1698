"""Loading manifests: defaults, substitution, secrets by reference, cross-document rules."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from reconciler.errors import Position
from reconciler.manifest import discover as discover_module
from reconciler.manifest.load import LoadOptions, load
from reconciler.manifest.model import Kind

SUB = "00000000-1111-2222-3333-444444444444"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


WORKSPACE = """apiVersion: reconciler/v1
kind: Workspace
metadata: {name: ws-1}
spec: {}
"""


def _defaults(rg: str, location: str = "westeurope") -> str:
    return (
        f"apiVersion: reconciler/v1\nkind: Defaults\nspec:\n  subscription: {SUB}\n"
        f"  resourceGroup: {rg}\n  location: {location}\n"
    )


def test_defaults_apply_to_their_directory_tree_and_the_nearest_wins(tmp_path: Path) -> None:
    _write(tmp_path / "defaults.yaml", _defaults("rg-outer"))
    _write(tmp_path / "a" / "ws.yaml", WORKSPACE)
    _write(tmp_path / "b" / "defaults.yaml", _defaults("rg-inner", "northeurope"))
    _write(tmp_path / "b" / "ws.yaml", WORKSPACE)
    result = load([tmp_path], env={})
    assert result.ok, [p.render() for p in result.problems]
    got = sorted(
        (w.address.resource_group, w.spec["location"])
        for w in result.manifests.of(Kind("Workspace"))
    )
    assert got == [("rg-inner", "northeurope"), ("rg-outer", "westeurope")]


def test_explicit_metadata_beats_defaults(tmp_path: Path) -> None:
    _write(tmp_path / "defaults.yaml", _defaults("rg-default"))
    _write(
        tmp_path / "ws.yaml", WORKSPACE.replace("{name: ws-1}", "{name: ws-1, resourceGroup: mine}")
    )
    (ws,) = load([tmp_path], env={}).manifests.of(Kind("Workspace"))
    assert ws.address.resource_group == "mine"
    assert ws.address.subscription == SUB


def test_environment_substitution_with_default_and_escape(tmp_path: Path) -> None:
    _write(
        tmp_path / "ws.yaml",
        f"""apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-1, subscription: {SUB}, resourceGroup: "rg-${{ENV_NAME}}"}}
spec:
  location: ${{LOCATION:-eastus}}
  tags: {{note: "costs $${{money}}"}}
""",
    )
    (ws,) = load([tmp_path], env={"ENV_NAME": "prod"}).manifests.of(Kind("Workspace"))
    assert ws.address.resource_group == "rg-prod"
    assert ws.spec["location"] == "eastus"
    assert ws.spec["tags"] == {"note": "costs ${money}"}


CONNECTION = f"""apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-1, subscription: {SUB}, resourceGroup: rg}}
spec: {{location: eastus}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: conn-1, workspace: WS-1, subscription: {SUB}, resourceGroup: RG}}
spec:
  properties:
    category: AzureOpenAI
    authType: ApiKey
    credentials:
      key: KEY_PLACEHOLDER
"""


def test_a_whole_env_reference_in_credentials_becomes_a_secret_reference(tmp_path: Path) -> None:
    _write(tmp_path / "c.yaml", CONNECTION.replace("KEY_PLACEHOLDER", "${OPENAI_KEY}"))
    result = load([tmp_path], env={"OPENAI_KEY": "canary-value-123"})
    assert result.ok, [p.render() for p in result.problems]
    (conn,) = result.manifests.of(Kind("Connection"))
    assert conn.spec["properties"]["credentials"]["key"] == {"fromEnv": "OPENAI_KEY"}
    assert "canary-value-123" not in repr(result.manifests)


def test_literal_secrets_are_refused_unless_allowed(tmp_path: Path) -> None:
    _write(tmp_path / "c.yaml", CONNECTION.replace("KEY_PLACEHOLDER", "literal-canary"))
    refused = load([tmp_path], env={})
    assert [p.field for p in refused.problems] == ["spec.properties.credentials.key"]
    assert "literal-canary" not in refused.problems[0].render()
    allowed = load([tmp_path], LoadOptions(allow_literal_secrets=True), env={})
    assert allowed.ok


def test_file_references_resolve_relative_to_the_manifest(tmp_path: Path) -> None:
    _write(tmp_path / "m" / "c.yaml", CONNECTION.replace("KEY_PLACEHOLDER", "{fromFile: key.txt}"))
    missing = load([tmp_path], env={})
    assert "secret file" in missing.problems[0].message
    _write(tmp_path / "m" / "key.txt", "value\n")
    assert load([tmp_path], env={}).ok


def test_secret_presence_check_can_be_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "c.yaml", CONNECTION.replace("KEY_PLACEHOLDER", "{fromEnv: ABSENT}"))
    assert not load([tmp_path], env={}).ok
    assert load([tmp_path], LoadOptions(check_secrets=False), env={}).ok


def test_connection_workspace_matches_case_insensitively(tmp_path: Path) -> None:
    _write(tmp_path / "c.yaml", CONNECTION.replace("KEY_PLACEHOLDER", "{fromEnv: K}"))
    result = load([tmp_path], env={"K": "v"})
    assert result.ok
    (conn,) = result.manifests.of(Kind("Connection"))
    assert conn.address.kind == Kind("Connection")
    assert conn.address.parent(Kind("Workspace")).key == result.manifests.resources[0].address.key


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "kind: Workspace\napiVersion: reconciler/v1\nmetadata: {name: x}\n")
    _write(tmp_path / "b.yaml", "a: [\n")
    result = load([tmp_path], env={})
    files = {p.file.name for p in result.problems}
    assert files == {"a.yaml", "b.yaml"}
    assert len(result.problems) >= 3  # name pattern, spec missing, syntax


def test_a_broken_defaults_document_is_reported_once_not_in_every_document_below_it(
    tmp_path: Path,
) -> None:
    """A typo in Defaults used to add "metadata.subscription: is required" to every document
    it would have completed, burying the one line that matters."""
    _write(
        tmp_path / "defaults.yaml",
        f"apiVersion: reconciler/v1\nkind: Defaults\nmetadata: {{name: d}}\n"
        f"spec: {{subscription: {SUB}, resourceGroup: rg, location: eastus, locaton: x}}\n",
    )
    for name in ("ws1", "ws2"):
        _write(
            tmp_path / "team" / f"{name}.yaml",
            f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: {name}}}\nspec: {{}}\n",
        )
    problems = load([tmp_path], env={}).problems
    assert [(p.file.name, p.message) for p in problems] == [
        ("defaults.yaml", "unknown field 'locaton' (did you mean 'location'?)")
    ]


@pytest.mark.parametrize(
    ("defaults_spec", "problem"),
    [
        # A typo elsewhere: the documents below are still checked at the version it names.
        ("locaton: x, apiVersions: {Workspace: 2025-09-01}", "unknown field 'locaton'"),
        # The version itself is wrong: what the documents below are written for is unknown.
        ("apiVersions: {Workspace: 2025-09-02}", "unknown api-version '2025-09-02'"),
        ("apiVersions: 2025-09-01", "apiVersions"),
    ],
)
def test_a_broken_defaults_naming_api_versions_does_not_check_documents_at_another(
    tmp_path: Path, defaults_spec: str, problem: str
) -> None:
    """A workspace written for 2025-09-01 (``kind: Hub``) below a Defaults document with a
    typo was checked at the default version: 'unknown field kind' in every one of them."""
    _write(
        tmp_path / "defaults.yaml",
        f"apiVersion: reconciler/v1\nkind: Defaults\n"
        f"spec: {{subscription: {SUB}, resourceGroup: rg, location: eastus, {defaults_spec}}}\n",
    )
    for name in ("hub1", "hub2"):
        _write(
            tmp_path / "team" / f"{name}.yaml",
            f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: {name}}}\n"
            "spec: {kind: Hub}\n",
        )
    problems = load([tmp_path], env={}).problems
    assert [p.file.name for p in problems] == ["defaults.yaml"], [p.render() for p in problems]
    assert problem in problems[0].render()


def test_a_document_below_a_broken_defaults_still_has_its_own_problems_reported(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path / "defaults.yaml",
        f"apiVersion: reconciler/v1\nkind: Defaults\nspec: {{subscription: {SUB}, "
        "resourceGroup: rg, locaton: x, apiVersions: {Workspace: 2025-09-01}}\n",
    )
    _write(
        tmp_path / "team" / "hub.yaml",
        "apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {name: hub1}\n"
        "spec: {kind: Hub, colour: red}\n",
    )
    problems = load([tmp_path], env={}).problems
    assert [p.file.name for p in problems] == ["defaults.yaml", "hub.yaml"]
    assert "unknown field 'colour'" in problems[1].message


@pytest.mark.parametrize("kind", ["[Workspace]", "{Workspace: 1}"])
def test_a_kind_that_is_not_a_string_is_a_problem_not_a_crash(tmp_path: Path, kind: str) -> None:
    """It was a TypeError traceback (unhashable type: 'list')."""
    _write(
        tmp_path / "ws.yaml",
        f"apiVersion: reconciler/v1\nkind: {kind}\nmetadata: {{name: ws1, subscription: "
        f"{SUB}, resourceGroup: rg}}\nspec: {{location: eastus}}\n",
    )
    (problem,) = load([tmp_path], env={}).problems
    assert problem.field == "kind" and problem.position is not None


def test_a_child_of_a_workspace_left_out_for_its_own_problem_is_not_reported_again(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path / "ws.yaml",
        f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: ws1, subscription: "
        f"{SUB}, resourceGroup: rg}}\nspec: {{location: eastus, sku: 7}}\n",
    )
    _write(
        tmp_path / "conn.yaml",
        f"apiVersion: reconciler/v1\nkind: Connection\nmetadata: {{name: conn1, workspace: ws1, "
        f"subscription: {SUB}, resourceGroup: rg}}\nspec: {{properties: {{category: Git, "
        "target: 'https://github.com/o/r', authType: None}}\n",
    )
    problems = load([tmp_path], env={}).problems
    assert [p.file.name for p in problems] == ["ws.yaml"]


def test_a_child_naming_its_workspace_in_another_resource_group_is_still_an_error(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path / "ws.yaml",
        f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: ws1, subscription: "
        f"{SUB}, resourceGroup: rg}}\nspec: {{location: eastus}}\n",
    )
    _write(
        tmp_path / "conn.yaml",
        f"apiVersion: reconciler/v1\nkind: Connection\nmetadata: {{name: conn1, workspace: ws1, "
        f"subscription: {SUB}, resourceGroup: other}}\nspec: {{properties: {{category: Git, "
        "target: 'https://github.com/o/r', authType: None}}\n",
    )
    (problem,) = load([tmp_path], env={}).problems
    assert problem.file.name == "conn.yaml" and "is not declared" in problem.message


def test_missing_paths_and_empty_directories_are_problems(tmp_path: Path) -> None:
    assert "no such file" in load([tmp_path / "nope"], env={}).problems[0].message
    assert "no manifest documents" in load([tmp_path], env={}).problems[0].message


def test_the_examples_are_valid_with_the_demo_environment(repo: Path) -> None:
    from reconciler import envfile

    env = envfile.environment([repo / "manifests/examples/demo.env"], base={})
    result = load([repo / "manifests/examples"], env=env)
    assert result.ok, [p.render() for p in result.problems]
    m = result.manifests
    # The seed examples (a workspace, 3 connections, an audit); hub.yaml: a hub, its project
    # and their Azure OpenAI connection; managed-network.yaml: a workspace and 3 rules.
    counts = [len(m.of(Kind(k))) for k in ("Workspace", "Connection", "OutboundRule")]
    assert (*counts, len(m.playwright)) == (4, 4, 3, 1)
    auth = {c.spec["properties"]["authType"] for c in m.of(Kind("Connection"))}
    assert auth == {"None", "ApiKey", "ServicePrincipal"}


def test_windows_line_endings_and_a_byte_order_mark_are_fine(tmp_path: Path) -> None:
    text = (
        f"\ufeffapiVersion: reconciler/v1\r\nkind: Workspace\r\nmetadata: {{name: ws1, "
        f"subscription: {SUB}, resourceGroup: rg}}\r\nspec: {{location: eastus}}\r\n"
    )
    (tmp_path / "w.yaml").write_bytes(text.encode("utf-8"))
    result = load([tmp_path], env={})
    assert result.ok, [p.render() for p in result.problems]
    assert result.manifests.resources[0].spec == {"location": "eastus"}


def test_a_secret_file_that_cannot_be_read_is_a_positioned_problem(tmp_path: Path) -> None:
    _write(tmp_path / "m" / "c.yaml", CONNECTION.replace("KEY_PLACEHOLDER", "{fromFile: key}"))
    (tmp_path / "m" / "key").mkdir()  # a directory, not a file
    (problem,) = load([tmp_path], env={}).problems
    assert problem.field == "spec.properties.credentials.key"
    assert problem.position is not None and problem.position.line == 14
    assert "cannot be read" in problem.message
    (tmp_path / "m" / "key").rmdir()
    (tmp_path / "m" / "key").write_text("\n")
    assert "is empty" in load([tmp_path], env={}).problems[0].message


def test_resolving_an_unreadable_secret_raises_a_clear_error(tmp_path: Path) -> None:
    from reconciler.errors import SecretError
    from reconciler.manifest.secrets import resolve

    (tmp_path / "key").mkdir()
    with pytest.raises(SecretError, match="cannot be read"):
        resolve({"k": {"fromFile": "key"}}, {}, tmp_path)


def _refused_as_too_deep(tmp_path: Path, text: str, line: str = r"\d+") -> None:
    """``validate`` of ``text``, run as a real process (a crash cannot take the test run down),
    names the nesting at ``line`` and exits 1: no signal, no traceback."""
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    assert re.search(
        rf"^{re.escape(str(path))}:{line}:\d+: nesting deeper than 64 levels$", done.stdout, re.M
    )
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "text",
    ["[" * 30_000, "- " * 30_000 + "x", "{a: " * 30_000, "a: " + "[" * 30_000 + "]" * 30_000],
    ids=["flow-sequences", "block-sequences", "flow-mappings", "balanced"],
)
def test_deep_nesting_is_refused_before_composing_never_a_crash(tmp_path: Path, text: str) -> None:
    """The C composer recurses on the C stack: 30,000 levels (60 KB) used to kill the process
    with SIGSEGV."""
    _refused_as_too_deep(tmp_path, text, line="1")


@pytest.mark.parametrize("newline", ["\r", "\x85", "\u2028", "\u2029"], ids=repr)
def test_deep_nesting_on_lines_not_broken_by_newline_is_refused_never_a_crash(
    tmp_path: Path, newline: str
) -> None:
    """The C parser also breaks lines at a lone CR (and NEL, LS, PS): the screen for deep
    nesting must see those lines too, or the composer's recursion kills the process."""
    _refused_as_too_deep(tmp_path, f"k:{newline}" + "- " * 50_000 + f"x{newline}")


@pytest.mark.parametrize(
    "text",
    ["\ufeff" + "- " * 50_000 + "x\n", "# c\n\ufeff" + "- " * 50_000 + "x\n"],
    ids=["first line", "a later line"],
)
def test_deep_nesting_on_a_line_begun_by_a_byte_order_mark_is_refused_never_a_crash(
    tmp_path: Path, text: str
) -> None:
    """libyaml skips a byte order mark at the start of any line, as it does indentation."""
    _refused_as_too_deep(tmp_path, text)


def test_non_utf8_input_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("kind: Workspace\nspec:\n  description: caf\xe9\n".encode("latin-1"))
    [problem] = load([path], env={}).problems
    assert problem.position == Position(3, 19)
    assert "not UTF-8" in problem.message and "line 3, column 19" in problem.message


def test_a_fifo_is_refused_without_reading_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    [problem] = load([fifo], env={}).problems  # would block forever if opened for reading
    assert problem.message == "not a regular file or a directory"


def test_the_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: no disk used, 64 MiB to read
    tracemalloc.start()
    try:
        [problem] = load([path], env={}).problems
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem.message == "file is larger than 5 MiB"
    assert peak < 8 * 1024 * 1024


def test_one_file_named_by_two_paths_is_read_once(tmp_path: Path) -> None:
    """``validate m ./m/../m`` (or a directory and a file in it) declares nothing twice."""
    manifests = tmp_path / "m"
    _write(manifests / "defaults.yaml", _defaults("rg"))
    _write(
        manifests / "ws.yaml",
        "apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {name: ws1}\nspec: {}\n",
    )
    result = load([manifests, manifests / ".." / "m", manifests / "ws.yaml"], env={})
    assert result.ok, [p.render() for p in result.problems]
    assert result.documents == 2


@pytest.mark.parametrize("enabled", [True, False])
def test_a_load_pauses_the_garbage_collector_and_leaves_it_as_it_found_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    """Its passes find nothing to free while a load builds what it keeps (~20 % of loading)."""
    seen: list[bool] = []
    discover = discover_module.discover

    def watched(paths: list[Path]) -> object:
        seen.append(gc.isenabled())
        if not paths:
            raise RuntimeError("a load that fails")
        return discover(paths)

    monkeypatch.setattr("reconciler.manifest.load.discover", watched)
    _write(tmp_path / "ws.yaml", _defaults("rg") + "---\n" + WORKSPACE)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        assert load([tmp_path], env={}).ok
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError):
            load([], env={})
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert seen == [False, False]


def test_what_a_load_remembered_of_its_scalars_goes_with_it(tmp_path: Path) -> None:
    """A plain scalar may be a literal secret: no map outlives the load that read it."""
    literal = "plain-literal-" + "x7q" * 3
    path = tmp_path / "m.yaml"
    path.write_text(f"kind: Workspace\nmetadata: {{name: w}}\nspec: {{token: {literal}}}\n")
    result = load([path], env={})
    assert result.documents == 1
    del result
    gc.collect()
    # type(o), not isinstance: isinstance asks an object for its __class__, and a lazy proxy
    # another test's import left alive (azure-ai-ml's DockerProxy) imports docker when asked.
    assert not [o for o in gc.get_objects() if issubclass(type(o), dict) and literal in o]
