"""Reading is pipelined, and the plan does not depend on how it was.

The connections of a resource group's workspaces are listed as soon as that group's workspace
list answers: a slow group holds up only its own workspaces' lists. Whatever order answers come
back in (here: random latencies, many requests at once, manifests shuffled), the plan is the
one a run of one request at a time makes. On virtual time: the event loop jumps to its next
timer whenever every task waits.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import httpx

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, transport
from reconciler.emulator.asgi import EmulatorApp
from reconciler.manifest.load import load
from reconciler.plan.planner import Options
from reconciler.render.json import render_json
from reconciler.render.text import render_text
from reconciler.session import Target, make_plan
from tests.fakes import run_in_virtual_time

GROUPS = ("rg-a", "rg-b", "rg-c")
PROVIDER = "providers/Microsoft.MachineLearningServices/workspaces"


def _base(group: str, workspace: str) -> str:
    return f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{group}/{PROVIDER}/{workspace}"


def _estate() -> Emulator:
    """30 of 36 declared workspaces exist, with connections: some as declared, some changed,
    some missing, some undeclared."""
    emulator = Emulator(
        knobs=Knobs(strict_dependencies=False),
        resource_groups=tuple((DEFAULT_SUBSCRIPTION, g) for g in GROUPS),
    )
    with httpx.Client(
        transport=transport(emulator),
        base_url="http://127.0.0.1",
        headers={"Authorization": "Bearer fill"},
    ) as client:
        for w in range(30):
            base = _base(GROUPS[w % 3], f"ws-{w:03d}")
            client.put(
                base, params={"api-version": "2023-04-01"}, json={"location": "westeurope"}
            ).raise_for_status()
            for c in range(4):
                target = f"https://git/{w}/{c}" if (w + c) % 5 else "https://changed"
                client.put(
                    f"{base}/connections/conn-{c}",
                    params={"api-version": "2024-04-01"},
                    json={"properties": {"authType": "None", "category": "Git", "target": target}},
                ).raise_for_status()
    return emulator


def _manifests(tmp_path: Path, seed: int) -> list[Path]:
    docs = []
    for w in range(36):
        meta = f"subscription: {DEFAULT_SUBSCRIPTION}, resourceGroup: {GROUPS[w % 3]}"
        docs.append(
            f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: ws-{w:03d}, "
            f"{meta}}}\nspec: {{location: westeurope}}\n"
        )
        docs += [
            f"apiVersion: reconciler/v1\nkind: Connection\nmetadata: {{name: conn-{c}, "
            f"workspace: ws-{w:03d}, {meta}}}\nspec: {{properties: {{authType: None, "
            f"category: Git, target: 'https://git/{w}/{c}'}}}}\n"
            for c in range(3)
        ]
    random.Random(seed).shuffle(docs)
    files = [tmp_path / f"part-{seed}-{i}.yaml" for i in range(2)]
    for i, file in enumerate(files):
        file.write_text("---\n".join(docs[i::2]), encoding="utf-8")
    return files


class _Delayed:
    """The emulator's ASGI app, each request delayed as ``delay`` says; every request's path
    and the (virtual) times it arrived and was answered are kept."""

    def __init__(self, emulator: Emulator, delay: Any) -> None:
        self.app = EmulatorApp(emulator)
        self.delay = delay
        self.seen: list[tuple[str, float, float]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            loop = asyncio.get_running_loop()
            arrived = loop.time()
            await asyncio.sleep(self.delay(scope["path"]))
            self.seen.append((scope["path"], arrived, loop.time()))
        await self.app(scope, receive, send)


def _plan(files: list[Path], app: _Delayed, parallelism: int) -> tuple[str, str]:
    manifests = load(files, env={}).manifests

    async def main(loop: asyncio.AbstractEventLoop) -> tuple[str, str]:
        target = Target(
            "http://127.0.0.1",
            parallelism=parallelism,
            transport=httpx.ASGITransport(app=app),
            clock=loop.time,
        )
        plan = await make_plan(manifests, target, {}, options=Options())
        return render_json(plan), render_text(plan, color=False)

    return run_in_virtual_time(main)


def test_the_plan_is_the_same_whatever_order_the_answers_come_in(tmp_path: Path) -> None:
    jitter = random.Random(7)
    estate = _estate()  # one estate: its ids and timestamps are made up once
    for seed in (1, 2):  # manifests in two shuffled orders
        files = _manifests(tmp_path, seed)
        one_at_a_time = _plan(files, _Delayed(estate, lambda _: 0.05), 1)
        for _ in range(2):
            app = _Delayed(estate, lambda _: jitter.uniform(0.001, 0.3))
            assert _plan(files, app, 32) == one_at_a_time
        assert '"update": 18' in one_at_a_time[0] and '"create": 24' in one_at_a_time[0]


def test_a_slow_group_holds_up_only_its_own_workspaces_connections(tmp_path: Path) -> None:
    slow = f"/resourceGroups/{GROUPS[0]}/{PROVIDER}"

    def delay(path: str) -> float:
        return 5.0 if path.endswith(slow) else 0.05  # rg-a's workspace list: 5 s

    app = _Delayed(_estate(), delay)
    _plan(_manifests(tmp_path, 1), app, 32)
    slow_answered = next(done for path, _, done in app.seen if path.endswith(slow))
    others = [
        arrived
        for path, arrived, _ in app.seen
        if path.endswith("/connections") and f"/{GROUPS[0]}/" not in path
    ]
    assert len(others) == 20  # the existing workspaces of rg-b and rg-c
    assert max(others) < slow_answered, (others, slow_answered)
