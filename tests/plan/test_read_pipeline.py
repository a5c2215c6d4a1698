"""Reading is pipelined, and the plan does not depend on how it was.

The connections of a resource group's workspaces are listed as soon as that group's workspace
list answers: a slow group holds up only its own workspaces' lists. Each workspace is decided
as soon as it and what it holds are read, while other reads go on. Whatever order answers come
back in (here: random latencies, many requests at once, manifests shuffled), the plan is the
one a run of one request at a time makes, and the one made when everything is decided after
every read. On virtual time: the event loop jumps to its next timer whenever every task waits.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import weakref
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, transport
from reconciler.emulator.asgi import EmulatorApp
from reconciler.manifest.load import load
from reconciler.plan import deciding
from reconciler.plan.deciding import Deciding
from reconciler.plan.planner import Options, decide
from reconciler.read.live import read
from reconciler.read.livestate import LiveState
from reconciler.render.json import render_json
from reconciler.render.text import render_text
from reconciler.session import Target, arm_client, make_plan
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


def _plan(
    files: list[Path],
    app: _Delayed,
    parallelism: int,
    *,
    env: dict[str, str] | None = None,
    options: Options | None = None,
) -> tuple[str, str]:
    manifests = load(files, env=env or {}).manifests

    async def main(loop: asyncio.AbstractEventLoop) -> tuple[str, str]:
        target = Target(
            "http://127.0.0.1",
            parallelism=parallelism,
            transport=httpx.ASGITransport(app=app),
            clock=loop.time,
        )
        plan = await make_plan(manifests, target, env or {}, options=options or Options())
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


def _mixed_estate() -> Emulator:
    """Beside the estate: connections holding a secret (one of them rotated), undeclared ones
    this configuration marked (``--prune`` deletes them), and no resource group ``rg-gone``."""
    emulator = _estate()
    with httpx.Client(
        transport=transport(emulator),
        base_url="http://127.0.0.1",
        headers={"Authorization": "Bearer fill"},
    ) as client:
        for w in range(0, 30, 2):
            base = _base(GROUPS[w % 3], f"ws-{w:03d}")
            props = {"authType": "ApiKey", "category": "CustomKeys", "target": "https://k"}
            key = "rotated" if w % 6 == 0 else "k3y"
            client.put(
                f"{base}/connections/keyed",
                params={"api-version": "2024-04-01"},
                json={"properties": {**props, "credentials": {"key": key}}},
            ).raise_for_status()
            client.put(
                f"{base}/connections/left-over",
                params={"api-version": "2024-04-01"},
                json={"properties": {**props, "metadata": {"managed-by": MARKER}}},
            ).raise_for_status()
    return emulator


MARKER = "azureml-reconciler/team-a"


def _mixed_manifests(tmp_path: Path, seed: int) -> list[Path]:
    files = _manifests(tmp_path, seed)
    meta = f"subscription: {DEFAULT_SUBSCRIPTION}"
    extra = ["apiVersion: reconciler/v1\nkind: Defaults\nspec: {owner: team-a}\n"]
    for w in range(0, 36, 2):
        extra.append(
            f"apiVersion: reconciler/v1\nkind: Connection\nmetadata: {{name: keyed, "
            f"workspace: ws-{w:03d}, {meta}, resourceGroup: {GROUPS[w % 3]}}}\nspec: "
            "{properties: {authType: ApiKey, category: CustomKeys, target: 'https://k', "
            "credentials: {key: {fromEnv: KEY}}}}\n"
        )
    for w in range(2):  # in a resource group that does not exist
        extra.append(
            f"apiVersion: reconciler/v1\nkind: Workspace\nmetadata: {{name: gone-{w}, "
            f"{meta}, resourceGroup: rg-gone}}\nspec: {{location: westeurope}}\n"
        )
        extra.append(
            f"apiVersion: reconciler/v1\nkind: Connection\nmetadata: {{name: conn, "
            f"workspace: gone-{w}, {meta}, resourceGroup: rg-gone}}\nspec: {{properties: "
            "{authType: None, category: Git, target: 'https://git'}}\n"
        )
    random.Random(seed).shuffle(extra)
    more = tmp_path / f"more-{seed}.yaml"
    more.write_text("---\n".join(extra), encoding="utf-8")
    return [*files, more]


def test_deciding_while_reading_makes_the_plan_deciding_after_reading_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workspaces are decided while others are still read; creates, a missing resource group,
    compared secrets and --prune come out as when every resource is decided after every read,
    whatever order the answers come in."""
    jitter = random.Random(11)
    estate = _mixed_estate()
    options = Options(prune=True)
    env = {"KEY": "k3y"}
    early: list[tuple[float, int]] = []  # (virtual time, resources decided so far)
    settled = Deciding.settled

    def spy(self: Deciding, live: Any, top: Any) -> None:
        settled(self, live, top)
        early.append((asyncio.get_running_loop().time(), len(self.made)))

    for seed in (3, 4):
        files = _mixed_manifests(tmp_path, seed)
        with monkeypatch.context() as patched:  # nothing decided before every read is done
            patched.setattr(Deciding, "settled", lambda *_: None)
            after_reading = _plan(
                files, _Delayed(estate, lambda _: 0.05), 8, env=env, options=options
            )
        for _ in range(2):
            early.clear()
            app = _Delayed(estate, lambda _: jitter.uniform(0.001, 0.3))
            with monkeypatch.context() as patched:
                patched.setattr(Deciding, "settled", spy)
                assert _plan(files, app, 32, env=env, options=options) == after_reading
            last_answer = max(done for _, _, done in app.seen)
            decided_early = [n for when, n in early if when < last_answer]
            # 38 workspaces and 110 connections without secrets; the 18 with them wait
            assert len(early) == 38 and early[-1][1] == 38 + 110
            assert decided_early and decided_early[-1] > 38, (early, last_answer)
        found = json.loads(after_reading[0])
        assert found["summary"] == {
            "create": 31,  # 6 + 2 workspaces, 18 + 3 + 2 connections
            "update": 23,  # 18 targets changed, 5 secrets rotated
            "no-op": 112,
            "replace-required": 0,
            "unmanaged": 30,
            "read": 0,
            "delete": 15,
        }, found["summary"]
        assert [c["code"] for c in found["changes"]].count("secret_rotated") == 5
        assert found["calls"]["by_kind"]["connection.listsecrets"] == 15
        assert "resource group 'rg-gone' does not exist" in after_reading[1]


def test_a_decision_that_fails_while_reading_is_made_again_after_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a decision raises is raised where it always was: after every read (a read's
    own error first), by the plan, which makes every decision not made while reading."""
    files = _manifests(tmp_path, 5)
    estate = _estate()
    expected = _plan(files, _Delayed(estate, lambda _: 0.05), 8)
    failed: list[str] = []

    def fail_on_ws_007(kind: Any, m: Any, live: Any, ctx: Any) -> Any:
        if m.address.name == "ws-007":
            failed.append(m.address.name)
            raise RuntimeError("a decision that fails")
        return decide(kind, m, live, ctx)

    monkeypatch.setattr(deciding, "decide", fail_on_ws_007)
    assert _plan(files, _Delayed(estate, lambda _: 0.05), 8) == expected
    assert failed == ["ws-007"]


def test_what_was_read_is_freed_without_the_cyclic_collector(tmp_path: Path) -> None:
    """A plan's own process reads with the collector paused (commands.planning): the live
    state, every body read, must go with its last reference, not wait in a cycle."""
    manifests = load(_manifests(tmp_path, 1), env={}).manifests
    app = _Delayed(_estate(), lambda _: 0.01)

    async def main(loop: asyncio.AbstractEventLoop) -> weakref.ref[LiveState]:
        target = Target("http://127.0.0.1", transport=httpx.ASGITransport(app=app), clock=loop.time)
        async with arm_client(target) as client:
            live = await read(client, manifests)
        assert live.present()
        return weakref.ref(live)

    gc.collect()
    gc.disable()
    try:
        read_state = run_in_virtual_time(main)
        assert read_state() is None
    finally:
        gc.enable()
