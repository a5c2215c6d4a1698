"""A saved plan is stale when Azure moved what the plan compared or what apply would send or
keep, and only then: a status the service reports about itself (a managed network being set
up) moves on its own, and a reviewed plan must not fail at random for it. The real CLI over
loopback HTTP against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import DEFAULT_SUBSCRIPTION
from tests.e2e.conftest import Azure
from tests.e2e.test_outbound_rules import MANIFEST

HUB = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/workspace-1234/providers/"
    "Microsoft.MachineLearningServices/workspaces/hub-e2e"
)


def _reviewed(azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The hub and its rules applied, then a plan saved with a change to apply: the args of
    ``apply --plan`` for it."""
    file = tmp_path / "m.yaml"
    file.write_text(MANIFEST, encoding="utf-8")
    code, out, err = azure.cli(
        "apply", "--endpoint", azure.url, "--auto-approve", str(file), capsys=capsys
    )
    assert code == 0, out + err
    file.write_text(
        MANIFEST.replace("managedNetwork:", "description: reviewed, managedNetwork:", 1),
        encoding="utf-8",
    )
    saved = tmp_path / "p.json"
    code, out, err = azure.cli(
        "plan", "--endpoint", azure.url, "--out", str(saved), str(file), capsys=capsys
    )
    assert code == 0 and "1 to update" in out, out + err
    return ["apply", "--endpoint", azure.url, "--plan", str(saved), str(file)]


@pytest.mark.parametrize(
    "patch",
    [
        {"properties": {"managedNetwork": {"status": {"status": "Active", "sparkReady": True}}}},
        {"properties": {"managedNetwork": {"outboundRules": {"pypi": {"status": "Active"}}}}},
        {"systemData": {"lastModifiedBy": "the service"}},
    ],
    ids=["network-status", "rule-status", "read-only"],
)
def test_what_the_service_reports_about_itself_does_not_make_a_plan_stale(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str], patch: dict[str, Any]
) -> None:
    apply = _reviewed(azure, tmp_path, capsys)
    assert azure.emulator.edit(HUB, patch)
    code, out, err = azure.cli(*apply, capsys=capsys)
    assert code == 0, out + err
    assert "1 updated" in out


@pytest.mark.parametrize(
    "patch",
    [
        {"tags": {"owner": "someone else"}},
        {"properties": {"friendlyName": "renamed in the portal"}},
        {"properties": {"managedNetwork": {"firewallSku": "Standard"}}},
    ],
    ids=["tags", "property", "network-setting"],
)
def test_what_apply_would_send_or_keep_still_makes_a_plan_stale(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str], patch: dict[str, Any]
) -> None:
    apply = _reviewed(azure, tmp_path, capsys)
    assert azure.emulator.edit(HUB, patch)
    code, out, err = azure.cli(*apply, capsys=capsys)
    assert code == 1, out + err
    assert "hub-e2e changed in Azure since" in err and "stale" in err


def test_a_rule_changed_by_hand_is_named_not_its_hub(
    azure: Azure, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hub's body holds a copy of its rules (each its own resource in the plan): the
    staleness error names the rule that moved."""
    apply = _reviewed(azure, tmp_path, capsys)
    rule = {"pypi": {"destination": "x.org"}}
    patch = {"properties": {"managedNetwork": {"outboundRules": rule}}}
    assert azure.emulator.edit(HUB, patch)
    code, out, err = azure.cli(*apply, capsys=capsys)
    assert code == 1, out + err
    assert "hub-e2e/pypi changed in Azure since" in err, err
