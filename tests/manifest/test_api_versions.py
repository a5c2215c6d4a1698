"""A document may name the ARM api-version it is written for; validate checks it at that one.

``metadata.apiVersion`` in the document, or ``apiVersions`` per kind in a Defaults document
(the document's own wins); naming none means the kind's default, the seed pages' version,
checked exactly as before.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.manifest.load import load

SUB = "00000000-1111-2222-3333-444444444444"
DEFAULTS = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {SUB}, resourceGroup: rg1, location: westeurope}}
"""
# managedNetwork is defined at 2025-09-01, not at the default 2023-04-01.
HUB = """apiVersion: reconciler/v1
kind: Workspace
metadata:
  name: hub-1{version}
spec:
  kind: Hub
  properties:
    managedNetwork: {{isolationMode: AllowOnlyApprovedOutbound}}
"""
# Pinecone is a connection category of 2025-09-01, not of the default 2024-04-01.
PINECONE = """apiVersion: reconciler/v1
kind: Connection
metadata:
  name: pinecone-1
  workspace: hub-1{version}
spec:
  properties: {{category: Pinecone, authType: None, target: "https://pinecone.example"}}
"""


def _write(path: Path, *documents: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n".join([DEFAULTS, *documents]), encoding="utf-8")
    return path


def _problems(*paths: Path) -> list[str]:
    return [p.render() for p in load(list(paths)).problems]


def test_a_document_naming_2025_09_01_is_checked_against_that_version(tmp_path: Path) -> None:
    version = "\n  apiVersion: 2025-09-01"  # unquoted: YAML reads it as text
    file = _write(
        tmp_path / "m.yaml", HUB.format(version=version), PINECONE.format(version=version)
    )
    result = load([file])
    assert result.problems == []
    hub, pinecone = result.manifests.resources
    assert (hub.api_version, pinecone.api_version) == ("2025-09-01", "2025-09-01")


def test_without_a_version_the_default_applies_and_reports_newer_fields(tmp_path: Path) -> None:
    file = _write(tmp_path / "m.yaml", HUB.format(version=""), PINECONE.format(version=""))
    problems = _problems(file)
    assert problems == [
        f"{file}:10:3: spec.kind: unknown field 'kind' (did you mean 'id'?)",
        f"{file}:12:5: spec.properties.managedNetwork: unknown field 'managedNetwork'",
        f"{file}:20:26: spec.properties.category: 'Pinecone' is not an allowed value; "
        "expected one of: PythonFeed, ContainerRegistry, Git, S3, Snowflake, AzureSqlDb, "
        "AzureSynapseAnalytics, AzureMySqlDb, AzurePostgresDb, ADLSGen2, Redis, ApiKey, "
        "… (102 in all)",
    ]
    assert load([_write(tmp_path / "ok.yaml")]).manifests.resources == ()


def test_defaults_name_the_version_per_kind_and_a_document_overrides_it(tmp_path: Path) -> None:
    (tmp_path / "defaults.yaml").write_text(DEFAULTS, encoding="utf-8")
    team = tmp_path / "team"  # the nearer Defaults adds the versions to the parent's
    team.mkdir()
    (team / "defaults.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Defaults\n"
        "spec: {apiVersions: {Workspace: 2025-09-01, Connection: 2025-09-01}}\n",
        encoding="utf-8",
    )
    file = team / "m.yaml"
    file.write_text(
        "---\n".join([HUB.format(version=""), PINECONE.format(version="")]), encoding="utf-8"
    )
    result = load([tmp_path])
    assert [p.render() for p in result.problems] == []
    assert [m.api_version for m in result.manifests.resources] == ["2025-09-01", "2025-09-01"]
    pinned = "\n  apiVersion: 2024-04-01"
    file.write_text(
        "---\n".join([HUB.format(version=""), PINECONE.format(version=pinned)]), encoding="utf-8"
    )
    problems = [p.render() for p in load([tmp_path]).problems]
    assert len(problems) == 1 and "'Pinecone' is not an allowed value" in problems[0]


def test_an_unknown_api_version_is_an_error_at_its_line(tmp_path: Path) -> None:
    document = "apiVersion: reconciler/v1\nkind: Workspace\nmetadata:\n  name: ws-1\n"
    file = _write(tmp_path / "m.yaml", document + "  apiVersion: '2099-01-01'\nspec: {}\n")
    assert _problems(file) == [
        f"{file}:9:15: metadata.apiVersion: unknown api-version '2099-01-01': schemas exist "
        "for 2023-04-01, 2025-09-01 (the first is the default, used when none is named)"
    ]
    bad_defaults = (
        "apiVersion: reconciler/v1\nkind: Defaults\nspec: {apiVersions: {Workspace: v2}}\n"
    )
    file.write_text(bad_defaults, encoding="utf-8")
    assert _problems(file) == [
        f"{file}:3:33: spec.apiVersions.Workspace: unknown api-version 'v2': schemas exist "
        "for 2023-04-01, 2025-09-01 (the first is the default, used when none is named)"
    ]


def test_a_workspace_kind_at_2025_09_01_is_one_of_the_four(tmp_path: Path) -> None:
    version = "\n  apiVersion: 2025-09-01"
    file = _write(tmp_path / "m.yaml", HUB.format(version=version).replace("Hub", "Hubb"))
    assert _problems(file) == [
        f"{file}:11:9: spec.kind: 'Hubb' is not an allowed value (did you mean 'Hub'?)"
    ]
