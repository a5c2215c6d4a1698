"""plan under the faults ARM produces: it either gets through (retrying as ARM asks) or ends
with exit 1 and one line that names the failure and the request id — never a traceback.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from reconciler.arm.connect import Target
from reconciler.cli import main
from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, running, transport
from reconciler.manifest.load import load
from reconciler.plan.planner import Options
from reconciler.session import make_plan
from tests.fakes import FakeTime
from tests.linked import LINKED_YAML, workspace_body

RG = "rg-faults"
MANIFEST = f"""apiVersion: reconciler/v1
kind: Defaults
spec: {{subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: westeurope}}
---
apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: ws-1}}
spec: {{properties: {{description: one, {LINKED_YAML}}}}}
---
apiVersion: reconciler/v1
kind: Connection
metadata: {{name: git-1, workspace: ws-1}}
spec: {{properties: {{authType: None, category: Git}}}}
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST)
    return path


@pytest.mark.parametrize(
    "knobs",
    [
        {"error_500_rate": 0.5, "seed": 1},
        {"error_503_rate": 0.5, "seed": 2},
        {"drop_rate": 0.4, "seed": 3},
        {"throttle": True, "throttle_scale": 0.004},  # a 1-token read bucket
        {"expire_tokens": 1},
    ],
    ids=["500", "503", "dropped", "429", "401-once"],
)
def test_plan_gets_through_transient_faults(manifest: Path, knobs: dict[str, Any]) -> None:
    time = FakeTime()
    emulator = Emulator(
        knobs=Knobs(**knobs), clock=time, resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    target = Target(
        "http://127.0.0.1", transport=transport(emulator), clock=time, sleep=time.sleep, retries=8
    )
    plan = asyncio.run(make_plan(load([manifest], env={}).manifests, target, {}, options=Options()))
    assert plan.summary()["create"] == 2


@pytest.mark.parametrize(
    ("knobs", "args", "message"),
    [
        ({"error_500_rate": 1.0}, ["--retries", "1"], "InternalServerError"),
        ({"error_503_rate": 1.0}, ["--retries", "0"], "ServiceUnavailable"),
        ({"drop_rate": 1.0}, ["--retries", "1"], "no answer from 127.0.0.1"),
        ({"expire_tokens": 100}, ["--retries", "1"], "ExpiredAuthenticationToken"),
        ({"latency_ms": 1500}, ["--retries", "0", "--request-timeout", "0.3"], "timed out"),
    ],
    ids=["500", "503", "dropped", "401", "slow"],
)
def test_plan_fails_with_one_clear_line(
    manifest: Path,
    capsys: pytest.CaptureFixture[str],
    knobs: dict[str, Any],
    args: list[str],
    message: str,
) -> None:
    emulator = Emulator(
        knobs=Knobs(retry_after_seconds=0, **knobs), resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    with running(emulator) as url:
        code = main(["plan", "--endpoint", url, *args, str(manifest)])
    err = capsys.readouterr().err
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert message in lines[0]
    assert "x-ms-client-request-id" in lines[0]
    assert "Traceback" not in err


def test_a_large_plan_paces_itself_instead_of_hitting_arms_throttle(tmp_path: Path) -> None:
    """306 reads against a 250-read bucket: the client waits for the refill, no 429 at all."""
    time = FakeTime()
    emulator = Emulator(clock=time, resource_groups=((DEFAULT_SUBSCRIPTION, RG),))
    import httpx

    docs = [
        f"apiVersion: reconciler/v1\nkind: Defaults\nspec: {{subscription: "
        f"{DEFAULT_SUBSCRIPTION}, resourceGroup: {RG}, location: westeurope}}\n"
    ]
    with httpx.Client(
        transport=transport(emulator),
        base_url="http://127.0.0.1",
        headers={"Authorization": "Bearer seed"},
    ) as seed:
        for w in range(300):
            seed.put(
                f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/"
                f"Microsoft.MachineLearningServices/workspaces/ws{w:03d}",
                params={"api-version": "2023-04-01"},
                json=workspace_body("westeurope"),
            ).raise_for_status()
            docs.append(
                f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: "
                f"ws{w:03d}}}\nspec: {{properties: {{{LINKED_YAML}}}}}\n"
            )
    (tmp_path / "m.yaml").write_text("---\n".join(docs))
    emulator.knobs.throttle = True
    target = Target(
        "http://127.0.0.1",
        transport=transport(emulator),
        clock=time,
        sleep=time.sleep,
        parallelism=8,
    )
    plan = asyncio.run(make_plan(load([tmp_path], env={}).manifests, target, {}, options=Options()))
    assert plan.summary()["no-op"] == 300
    assert emulator.stats()["statuses"].get("429", 0) == 0
    assert sum(time.slept) >= (306 - 250) / 25 * 0.8  # it waited for the refill instead
