"""Reason codes are a published contract: policies and scripts match them in the JSON plan, so
each is documented in the README and listed by the plan's schema."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.plan.model import ReasonCode
from reconciler.schemas import load_schema

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_readme_documents_every_reason_code_and_no_other() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \| [a-z-]+ \|", README, re.MULTILINE))
    assert documented == {c.value for c in ReasonCode}


def test_the_plan_schema_lists_every_reason_code() -> None:
    change = load_schema("plan.schema.json")["$defs"]["Change"]
    assert change["properties"]["code"]["enum"] == [c.value for c in ReasonCode]
    assert "code" in change["required"]
