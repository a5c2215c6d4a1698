"""The key vault and storage account a test workspace is created with.

Azure creates a workspace only with both (as ARM ids of their resource types), and so does the
emulator by default (its ``strict_dependencies`` knob); test bodies and manifests that create
workspaces name these two.
"""

from typing import Any

_RG = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-linked/providers"
KEY_VAULT = f"{_RG}/Microsoft.KeyVault/vaults/kv-linked"
STORAGE_ACCOUNT = f"{_RG}/Microsoft.Storage/storageAccounts/salinked"
LINKED: dict[str, str] = {"keyVault": KEY_VAULT, "storageAccount": STORAGE_ACCOUNT}
# The same two as members of a YAML flow mapping: ``properties: {description: x, LINKED_YAML}``.
LINKED_YAML = f"keyVault: {KEY_VAULT}, storageAccount: {STORAGE_ACCOUNT}"


def workspace_body(location: str = "eastus", **fields: Any) -> dict[str, Any]:
    """A workspace PUT body Azure accepts: ``fields`` on top, their ``properties`` merged in."""
    properties = {**LINKED, **(fields.pop("properties", None) or {})}
    return {"location": location, **fields, "properties": properties}
