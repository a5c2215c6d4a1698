"""The schema of a PlaywrightAccessTokens audit's spec, from the Playwright Testing data plane's
definition (the token name's pattern, the account id's), for ``reconciler schemas generate``."""

from __future__ import annotations

from pathlib import Path

from reconciler.schemas.common import NAME_MARK, header
from reconciler.schemas.openapi import JsonObj, SpecSet

PLAYWRIGHT_SPEC = (
    "playwrighttesting/data-plane/Microsoft.PlaywrightTesting.AuthManager/"
    "stable/2024-12-01/playwrighttesting.json"
)


def _anchored(pattern: str) -> str:
    return pattern if pattern.startswith("^") else f"^(?:{pattern})$"


def playwright_schema(specs: SpecSet, root: Path) -> JsonObj:
    """The observe-only audit of a Playwright Testing account's access tokens."""
    spec = specs.load(root / PLAYWRIGHT_SPEC)
    account = next(
        p
        for p in spec["paths"]["/accounts/{accountId}/access-tokens"]["get"]["parameters"]
        if p.get("name") == "accountId"
    )
    token_name = spec["definitions"]["AccessToken"]["properties"]["name"]
    name_schema = {k: token_name[k] for k in ("description", "pattern", "minLength", "maxLength")}
    return {
        **header(
            "Playwright Testing access-token audit (api-version 2024-12-01)", [PLAYWRIGHT_SPEC]
        ),
        "type": "object",
        "required": ["endpoint", "accountId"],
        "properties": {
            "endpoint": {
                "description": "Data-plane endpoint, https://{region}.api.playwright.microsoft.com"
                " (another endpoint only when the command line allows it: "
                "--playwright-endpoint).",
                "type": "string",
                "pattern": "^https?://[^/?#\\s]+/?$",
            },
            "accountId": {
                "description": account["description"],
                "type": "string",
                "maxLength": account["maxLength"],
                "pattern": _anchored(account["pattern"]),
                NAME_MARK: True,
            },
            "requiredTokens": {
                "description": "Tokens that must exist and be Active.",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": name_schema},
                    "additionalProperties": False,
                },
            },
            "warnBeforeExpiryDays": {
                "description": "Report Active tokens expiring within this many days.",
                "type": "integer",
                "minimum": 0,
                "default": 14,
            },
            "allowUnlistedTokens": {
                "description": "When false, tokens not listed in requiredTokens count as drift.",
                "type": "boolean",
                "default": True,
            },
        },
        "additionalProperties": False,
    }
