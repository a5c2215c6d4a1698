"""--prune of outbound rules against the in-process emulator on a fake clock: a pruned rule's
DELETE is a long-running operation followed to its end before the next rule is written (Azure
rewrites the workspace's firewall per rule; a write overlapping a delete still running loses
one of them)."""

from __future__ import annotations

from pathlib import Path

from reconciler.apply.applier import Result
from reconciler.plan.model import Action, ReasonCode
from tests.kinds.test_outbound_rule import WORKSPACE, Rules, _actions, _fqdn

OWNED = WORKSPACE.replace("location: westeurope}", "location: westeurope, owner: team-a}")


def test_a_pruned_rules_delete_is_followed_before_the_next_rule_is_written(
    tmp_path: Path,
) -> None:
    rules = Rules(tmp_path, _fqdn(1), _fqdn(2))
    rules.path.write_text("---\n".join([OWNED, _fqdn(1), _fqdn(2)]), encoding="utf-8")
    rules.apply(rules.plan())
    rules.path.write_text("---\n".join([OWNED, _fqdn(1), _fqdn(3)]), encoding="utf-8")
    plan = rules.plan(prune=True)
    actions = _actions(plan)
    assert actions["fqdn-02"] == (Action.DELETE, ReasonCode.PRUNED)
    assert actions["fqdn-03"] == (Action.CREATE, ReasonCode.NOT_FOUND)

    rules.recorder.sent.clear()
    report = rules.apply(plan)
    assert sorted(r for r, _ in report.results.values()) == sorted(
        [Result.DELETED, Result.CREATED, Result.UNCHANGED, Result.UNCHANGED]
    )
    sent = rules.recorder.sent
    writes = [
        i for i, (m, p) in enumerate(sent) if m in ("PUT", "DELETE") and "/outboundRules/" in p
    ]
    assert len(writes) == 2, sent
    first, second = writes
    # Between the two writes, the first one's operation was polled to its end.
    assert any(m == "GET" and "/outboundRules/" not in p for m, p in sent[first + 1 : second]), sent
    assert set(rules.rules()) >= {"fqdn-01", "fqdn-03"} and "fqdn-02" not in rules.rules()
