"""Names: a manifest cannot retarget a request by what it writes in a name.

Names, workspaces, resource groups and subscriptions are checked against their documented
patterns, in full (a trailing newline is not "the end"), with no ``${…}`` escape hatch; and
every path segment is percent-encoded by one function, so even a name that got through could
not leave its own segment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reconciler.errors import UnsafeUrlError
from reconciler.kinds import CONNECTION, paths
from reconciler.manifest.model import Address, Kind
from tests.e2e.conftest import Azure
from tests.security.conftest import RG, SUB, run_cli

ESCAPES = {
    "connection name": ("name", "../../victim-ws/connections/victim-conn#$${X}"),
    "workspace reference": ("workspace", "../../../providers/Microsoft.Authorization/x#$${X}"),
    "workspace with escape": ("workspace", "victimws$${X}"),
    "resource group ..": ("resourceGroup", ".."),
    "resource group with a slash": ("resourceGroup", "rg/../../other$${X}"),
    "subscription with escape": ("subscription", f"{SUB}$${{X}}"),
    "trailing newline": ("name", "conn1\n"),
    "encoded slash": ("name", "conn%2F..%2Fx$${X}"),
}


def _manifest(field: str, value: str) -> str:
    meta = {"name": "conn1", "workspace": "victimws", "subscription": SUB, "resourceGroup": RG}
    meta[field] = value
    workspace = {"name": "victimws", "subscription": SUB, "resourceGroup": RG}
    if field in ("subscription", "resourceGroup"):
        workspace[field] = value
    if field == "workspace":
        workspace["name"] = value
    return f"""apiVersion: reconciler/v1
kind: Workspace
metadata: {json.dumps(workspace)}
spec: {{location: westeurope}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {json.dumps(meta)}
spec:
  properties: {{category: Git, authType: None, target: "https://github.com/x"}}
"""


@pytest.mark.parametrize(("field", "value"), ESCAPES.values(), ids=list(ESCAPES))
def test_a_hostile_name_is_refused_before_any_request(
    azure: Azure, tmp_path: Path, field: str, value: str
) -> None:
    (tmp_path / "m.yaml").write_text(_manifest(field, value))
    for command in (["validate"], ["plan", "--endpoint", azure.url]):
        done = run_cli(*command, "m.yaml", cwd=tmp_path)
        output = done.stdout + done.stderr
        assert done.returncode == 1, output
        assert re.search(
            rf"^(?:error: )?m\.yaml:\d+:\d+: metadata\.{field}: ", output, re.MULTILINE
        )
        assert "Traceback" not in output
    assert azure.emulator.stats()["total"] == 0


def test_every_path_segment_is_percent_encoded() -> None:
    address = Address(Kind("Connection"), SUB, "rg(1).x", "a b", workspace="w#1")
    assert CONNECTION.path(address) == (
        f"/subscriptions/{SUB}/resourceGroups/rg%281%29.x/providers/"
        "Microsoft.MachineLearningServices/workspaces/w%231/connections/a%20b"
    )
    assert paths.segment("../x?y=1") == "..%2Fx%3Fy%3D1"
    assert paths.playwright_access_tokens("a/b") == "/accounts/a%2Fb/access-tokens"
    for bad in ("", ".", "..", "a\nb"):
        with pytest.raises(UnsafeUrlError):
            paths.segment(bad)


def test_a_resource_id_from_the_server_is_rebuilt_not_followed() -> None:
    base = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices"
    good = f"{base}/workspaces/ws1/connections/c1"
    assert CONNECTION.path(CONNECTION.from_id(good.lower())).lower() == good.lower()
    for hostile in (
        f"https://attacker.example{good}",
        f"{good}/../../../victim-ws/connections/victim",
        f"{base}/workspaces/ws1/connections/c1?x=1",
        f"{base}/workspaces/ws1/connections/%2E%2E",
    ):
        with pytest.raises(UnsafeUrlError):
            CONNECTION.from_id(hostile)
