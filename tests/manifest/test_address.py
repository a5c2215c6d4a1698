"""An address: where a resource lives, compared as ARM compares names (case-insensitively)."""

from __future__ import annotations

import tracemalloc

from reconciler.manifest.model import Address, Kind

SUB = "00000000-1111-2222-3333-444444444444"
CONNECTION = Kind("Connection")


def test_addresses_differing_in_case_have_one_key_and_keep_their_text() -> None:
    written = Address(CONNECTION, SUB.upper(), "RG-Team", "Blob", "WS-1")
    lower = Address(CONNECTION, SUB, "rg-team", "blob", "ws-1")
    assert written.key == lower.key == (CONNECTION, SUB, "rg-team", "ws-1", "blob")
    assert written != lower  # the manifest's spelling is kept, and shown
    assert str(written) == f"Connection/{SUB.upper()}/RG-Team/WS-1/Blob"
    assert str(Address(Kind("Workspace"), SUB, "rg", "ws")) == f"Workspace/{SUB}/rg/ws"
    assert written.parent(Kind("Workspace")) == Address(
        Kind("Workspace"), SUB.upper(), "RG-Team", "WS-1"
    )


def test_an_address_with_its_key_and_text_is_small() -> None:
    """A plan of 10,000 resources holds ~19,000 addresses, each asked for its key and text:
    kept in a dict per address (cached_property) with lowered copies of names already in lower
    case, they took ~980 bytes each, 13 MiB of the plan's peak."""
    names = [f"conn-{i}" for i in range(2_000)]
    tracemalloc.start()
    try:
        addresses = [Address(CONNECTION, SUB, "rg-team", name, "ws-1") for name in names]
        for address in addresses:
            assert address.key[-1] == address.name
            str(address)
        size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size / len(addresses) < 400


def test_a_parent_address_is_made_once_and_changes_nothing_of_its_child() -> None:
    """Reading, deciding and rendering a connection each ask for its workspace's address."""
    child = Address(CONNECTION, SUB, "RG-Team", "Blob", "WS-1")
    twin = Address(CONNECTION, SUB, "RG-Team", "Blob", "WS-1")
    workspace = child.parent(Kind("Workspace"))
    assert child.parent(Kind("Workspace")) is workspace
    assert child == twin and hash(child) == hash(twin) and repr(child) == repr(twin)
    hub = child.parent(Kind("Hub"))  # another kind of parent is another address
    assert hub.kind == "Hub" and hub.key[1:] == workspace.key[1:]
