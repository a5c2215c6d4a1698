"""A saved plan (``plan --out``) is read defensively: anything this tool did not write is
refused with one line, never applied by guess and never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.apply.runner import check_saved, targets_for
from reconciler.errors import UsageError
from reconciler.manifest.model import Kind
from reconciler.plan.model import FORMAT_VERSION, Action, Change, FieldDiff, Plan, ReasonCode


def _saved(tmp_path: Path, **fields: object) -> Path:
    path = tmp_path / "plan.json"
    document = {"format_version": FORMAT_VERSION, "manifest_digest": "d", "changes": []}
    path.write_text(json.dumps({**document, **fields}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "changes",
    [None, [1], "x", [{"action": "create"}], [{"address": 5}], {"a": 1}],
    ids=["null", "[1]", "string", "no-address", "address-not-string", "mapping"],
)
def test_a_saved_plan_of_the_wrong_shape_is_refused(tmp_path: Path, changes: object) -> None:
    path = _saved(tmp_path, changes=changes)
    with pytest.raises(UsageError, match="not a plan this tool wrote"):
        check_saved(path, Plan(changes=(), manifest_digest="d"))


@pytest.mark.parametrize("text", ["", "{", "[]", "null", '"plan"'])
def test_a_saved_plan_that_is_not_a_json_object_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=str(path)):
        check_saved(path, Plan(changes=(), manifest_digest="d"))


@pytest.mark.parametrize("targets", [None, "testworkspace", [1], {"a": "b"}])
def test_a_saved_plan_whose_targets_are_not_a_list_of_addresses_is_refused(
    tmp_path: Path, targets: object
) -> None:
    path = _saved(tmp_path, targets=targets)
    with pytest.raises(UsageError, match="'targets' must be a list of addresses"):
        check_saved(path, Plan(changes=(), manifest_digest="d"))


def test_a_saved_plan_that_lost_resources_names_one_it_lacks(tmp_path: Path) -> None:
    """A plan cut by hand (or by an older tool's --target) is refused, naming a resource."""
    change = Change(
        address="Workspace/s/rg/ws",
        kind=Kind("Workspace"),
        action=Action.CREATE,
        code=ReasonCode.NOT_FOUND,
        reason="not found in Azure",
        fingerprint="f",
    )
    path = _saved(tmp_path)
    with pytest.raises(UsageError, match=r"Workspace/s/rg/ws is in this plan but not in"):
        check_saved(path, Plan(changes=(change,), manifest_digest="d"))


def _created(name: str) -> Change:
    return Change(
        address=f"Workspace/s/rg/{name}",
        kind=Kind("Workspace"),
        action=Action.CREATE,
        code=ReasonCode.NOT_FOUND,
        reason="not found in Azure",
        fingerprint="f",
    )


def test_a_saved_plan_padded_with_a_repeated_change_cannot_let_another_one_through(
    tmp_path: Path,
) -> None:
    """A hand edit (its ``targets`` widened to take in ws-b, one of ws-a's changes written
    twice) must not make apply create ws-b, which the saved plan never showed: the plan's
    resources are compared by address, not counted."""
    reviewed = {"address": "Workspace/s/rg/ws-a", "action": "create", "code": "not_found"}
    reviewed["fingerprint"] = "f"
    path = _saved(tmp_path, changes=[reviewed, reviewed], targets=["ws-a", "ws-b"])
    with pytest.raises(UsageError, match="lists Workspace/s/rg/ws-a twice"):
        check_saved(path, Plan(changes=(_created("ws-a"), _created("ws-b")), manifest_digest="d"))


def test_a_saved_change_missing_from_the_plan_now_is_not_said_to_have_changed_in_azure(
    tmp_path: Path,
) -> None:
    """Its targets narrowed by hand, the plan apply makes lacks a change the file holds: the
    refusal names it, and says it may be the options rather than Azure that differ."""
    reviewed = {"address": "Workspace/s/rg/ws-a", "action": "create", "code": "not_found"}
    path = _saved(tmp_path, changes=[{**reviewed, "fingerprint": "f"}], targets=["ws-b"])
    with pytest.raises(UsageError) as refused:
        check_saved(path, Plan(changes=(_created("ws-b"),), manifest_digest="d"))
    assert "Workspace/s/rg/ws-a is in" in str(refused.value)
    assert "but not in this plan" in str(refused.value)
    assert "other --target or --shard" in str(refused.value)


def test_a_targeted_saved_plan_is_applied_with_the_same_targets_however_written(
    tmp_path: Path,
) -> None:
    """In another case or with the slashes --target tolerates, a target names the same slice."""
    path = tmp_path / "plan.json"
    saved = {"targets": ["testworkspace", "team-hub/aoai"]}
    for given in ((), ("TestWorkspace", "team-hub/AOAI"), ("/testworkspace/", "team-hub/aoai")):
        assert targets_for(path, saved, given) == ("testworkspace", "team-hub/aoai"), given


def test_other_targets_are_refused_naming_the_recorded_ones_escaped_once(tmp_path: Path) -> None:
    """The recorded targets come from a file anyone may edit: shown as ``repr`` shows them
    (the one-line error is made safe for a terminal or a CI log where it is printed), not
    escaped twice into ``'\\\\x1b'``."""
    path = tmp_path / "plan.json"
    saved = {"targets": ["\x1b[31mws", "::error::x"]}
    with pytest.raises(UsageError) as refused:
        targets_for(path, saved, ("other",))
    assert "was made with --target '\\x1b[31mws', '::error::x';" in str(refused.value)


def test_an_empty_saved_plan_matching_an_empty_plan_is_accepted(tmp_path: Path) -> None:
    check_saved(_saved(tmp_path), Plan(changes=(), manifest_digest="d"))


def test_a_saved_plan_that_is_not_utf8_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b'{\n  "format_version": "1\xff"\n}')
    with pytest.raises(UsageError, match=rf"{path}:2:23: not UTF-8"):
        check_saved(path, Plan(changes=(), manifest_digest="d"))


def test_a_saved_plan_that_is_a_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a regular file"):
        check_saved(tmp_path, Plan(changes=(), manifest_digest="d"))


@pytest.mark.parametrize("version", ["1", 1, None])
def test_a_saved_plan_of_another_format_version_asks_to_plan_again(
    tmp_path: Path, version: object
) -> None:
    path = _saved(tmp_path, format_version=version)
    with pytest.raises(UsageError, match=r"is a plan of format version .*: re-run plan") as caught:
        check_saved(path, Plan(changes=(), manifest_digest="d"))
    assert "\n" not in str(caught.value)


def test_a_format_version_written_as_a_number_is_told_apart_from_the_string(
    tmp_path: Path,
) -> None:
    """The JSON plan's format version is the string "2": a plan holding the number 2 (edited
    by hand or by a script) is refused with both spelled as JSON-ish values, never as
    "format version 2; this tool applies format version 2 only"."""
    path = _saved(tmp_path, format_version=2)
    with pytest.raises(UsageError) as caught:
        check_saved(path, Plan(changes=(), manifest_digest="d"))
    assert "format version 2;" in str(caught.value)
    assert "applies format version '2' only" in str(caught.value)


def test_a_saved_plan_whose_reason_code_moved_is_stale(tmp_path: Path) -> None:
    """Reviewed while provisioning was in progress (apply would wait); it has since ended
    Failed (apply would PUT again): same action, same fingerprint, another reason."""
    address = "Workspace/s/rg/ws1"
    saved_change = {
        "address": address,
        "action": "update",
        "code": "in_progress",
        "fingerprint": "sha256:aa",
    }
    now = Change(
        address=address,
        kind=Kind("Workspace"),
        action=Action.UPDATE,
        code=ReasonCode.LAST_FAILED,
        reason="last provisioning ended Failed; applying again",
        workspace=address,
        fingerprint="sha256:aa",
    )
    path = _saved(tmp_path, changes=[saved_change])
    with pytest.raises(
        UsageError,
        match=r"ws1: .* showed 'update' \('in_progress'\) and apply "
        r"would now 'update' \('last_failed'\): its provisioning state moved",
    ):
        check_saved(path, Plan(changes=(now,), manifest_digest="d"))
    check_saved(
        _saved(tmp_path, changes=[{**saved_change, "code": "last_failed"}]),
        Plan(changes=(now,), manifest_digest="d"),
    )


def test_a_saved_plan_applied_with_other_options_says_so_not_that_azure_changed(
    tmp_path: Path,
) -> None:
    """Azure read the same (same fingerprint), another verdict: `plan --out` then
    `apply --plan --prune` would delete what the review showed as unmanaged. Was "changed in
    Azure since", which sent users to look for a change nobody made (field test finding)."""
    address = "Connection/s/rg/ws1/old"
    saved_change = {
        "address": address,
        "action": "unmanaged",
        "code": "unmanaged_owned",
        "fingerprint": "sha256:aa",
    }
    now = Change(
        address=address,
        kind=Kind("Connection"),
        action=Action.DELETE,
        code=ReasonCode.PRUNED,
        reason="undeclared, marked as ours: --prune deletes it",
        fingerprint="sha256:aa",
    )
    path = _saved(tmp_path, changes=[saved_change])
    with pytest.raises(UsageError) as refused:
        check_saved(path, Plan(changes=(now,), manifest_digest="d"))
    assert "showed 'unmanaged' ('unmanaged_owned') and apply would now 'delete'" in str(
        refused.value
    )
    assert "other options (--prune" in str(refused.value)
    assert "changed in Azure since" not in str(refused.value)


def test_a_saved_destroy_plan_is_never_applied(tmp_path: Path) -> None:
    """Even an empty one, matching: its deletes are destroy's, after destroy's confirmations."""
    path = _saved(tmp_path, command="destroy")
    with pytest.raises(UsageError, match="is a destroy plan; apply does not delete"):
        check_saved(path, Plan(changes=(), manifest_digest="d"))


def test_a_saved_plan_nested_too_deep_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A hand-edited or hostile plan of nested brackets exhausts the JSON decoder's recursion:
    refused as a plan it cannot read, naming the file."""
    path = tmp_path / "plan.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(UsageError, match=rf"cannot read saved plan {path}: nested too deeply"):
        check_saved(path, Plan(changes=(), manifest_digest="d"))


def _update(address: str, *diffs: FieldDiff) -> Change:
    return Change(
        address=address,
        kind=Kind("Workspace"),
        action=Action.UPDATE,
        code=ReasonCode.FIELDS_DIFFER,
        reason="fields differ",
        workspace=address,
        fingerprint="sha256:aa",
        diffs=diffs,
    )


def _saved_change(change: Change) -> dict[str, object]:
    from reconciler.render.json import plan_document

    document = plan_document(Plan(changes=(change,), manifest_digest="d"))
    return dict(json.loads(json.dumps(document))["changes"][0])


def test_a_saved_plan_listing_a_resource_twice_is_refused(tmp_path: Path) -> None:
    """Two entries for one resource and none for another (a hand-edited plan): the other was
    never reviewed, so the plan is refused, not matched by its count of entries."""
    first, second = _update("Workspace/s/rg/ws1"), _update("Workspace/s/rg/ws2")
    path = _saved(tmp_path, changes=[_saved_change(first), _saved_change(first)])
    with pytest.raises(UsageError, match=rf"{path} lists Workspace/s/rg/ws1 twice"):
        check_saved(path, Plan(changes=(first, second), manifest_digest="d"))


def test_a_saved_plan_is_refused_when_apply_would_change_other_fields(tmp_path: Path) -> None:
    """Same manifests, same Azure, but apply run with other options than the plan (say
    ``--strict``, which also removes live fields the manifest leaves out): the fields apply
    would change are not the ones the reviewed plan showed, so it is refused, naming them."""
    address = "Workspace/s/rg/ws1"
    reviewed = _update(address, FieldDiff("properties.friendlyName", "Portal", "Ours"))
    now = _update(
        address,
        FieldDiff("properties.friendlyName", "Portal", "Ours"),
        FieldDiff("tags", {"costcenter": "42"}, None),
    )
    path = _saved(tmp_path, changes=[_saved_change(reviewed)])
    shown = rf"{address}: apply would change tags otherwise than {path} showed"
    with pytest.raises(UsageError, match=shown):
        check_saved(path, Plan(changes=(now,), manifest_digest="d"))
    check_saved(path, Plan(changes=(reviewed,), manifest_digest="d"))  # the same: applied


def test_a_saved_plan_for_other_targets_says_so_not_that_azure_changed(tmp_path: Path) -> None:
    """``plan --target A --out`` applied with ``apply --plan`` alone (or the other way round,
    or another ``--shard``): the resource sets differ though nothing moved in Azure. The
    refusal names a resource on one side only and says both causes."""
    first, second = _update("Workspace/s/rg/ws1"), _update("Workspace/s/rg/ws2")
    (tmp_path / "narrow").mkdir(), (tmp_path / "wide").mkdir()
    narrow = _saved(tmp_path / "narrow", changes=[_saved_change(first)])
    with pytest.raises(
        UsageError, match=rf"Workspace/s/rg/ws2 is in this plan but not in {narrow}"
    ):
        check_saved(narrow, Plan(changes=(first, second), manifest_digest="d"))
    wide = _saved(tmp_path / "wide", changes=[_saved_change(first), _saved_change(second)])
    with pytest.raises(UsageError, match=rf"Workspace/s/rg/ws2 is in {wide} but not in this plan"):
        check_saved(wide, Plan(changes=(first,), manifest_digest="d"))
    for path in (narrow, wide):
        with pytest.raises(UsageError, match=r"other --target or --shard"):
            check_saved(path, Plan(changes=(second,), manifest_digest="d"))


SUB = "00000000-1111-2222-3333-444444444444"


def test_a_saved_plan_is_refused_when_a_document_names_another_api_version(
    tmp_path: Path,
) -> None:
    """The api-version a document is written for (metadata.apiVersion, or its Defaults'
    apiVersions) decides what apply reads and writes: a plan reviewed at the default version
    is not the plan of the same spec at 2025-09-01, so the manifests changed."""
    from reconciler.manifest.load import load
    from reconciler.plan.record import manifest_digest

    document = """apiVersion: reconciler/v1
kind: Workspace
metadata: {{name: av-ws, subscription: {sub}, resourceGroup: rg{extra}}}
spec: {{location: westeurope, properties: {{friendlyName: two}}}}
"""
    digests = []
    for extra in ("", ', apiVersion: "2025-09-01"'):
        path = tmp_path / "ws.yaml"
        path.write_text(document.format(sub=SUB, extra=extra), encoding="utf-8")
        loaded = load([path], env={})
        assert loaded.ok, [p.render() for p in loaded.problems]
        digests.append(manifest_digest(loaded.manifests))
    saved = _saved(tmp_path, manifest_digest=digests[0])
    with pytest.raises(UsageError, match=rf"the manifests changed since {saved} was made"):
        check_saved(saved, Plan(changes=(), manifest_digest=digests[1]))


def test_a_hand_edited_verdict_is_shown_short_and_as_json_says_it(tmp_path: Path) -> None:
    """The saved action and code come from the file as it is: a value of any size or type is
    named in a bounded line (as the format version is), JSON's null as null, not Python's."""
    now = Change(
        address="ws1",
        kind=Kind("Workspace"),
        action=Action.UPDATE,
        code=ReasonCode.IN_PROGRESS,
        reason="provisioning",
        fingerprint="sha256:aa",
    )
    saved_change = {"address": "ws1", "action": "x" * 100_000, "code": None}
    path = _saved(tmp_path, changes=[{**saved_change, "fingerprint": "sha256:aa"}])
    with pytest.raises(UsageError) as refused:
        check_saved(path, Plan(changes=(now,), manifest_digest="d"))
    assert len(str(refused.value)) < 600
    assert "(null)" in str(refused.value)
