"""The emulator's out-of-band admin API, as a test or a demo drives it over HTTP."""

from __future__ import annotations

import httpx

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, running
from tests.linked import workspace_body

WS = (
    f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/admin-rg/providers/"
    "Microsoft.MachineLearningServices/workspaces/ws1"
)
V = {"api-version": "2024-04-01"}


def test_admin_api_over_http() -> None:
    emulator = Emulator()
    with (
        running(emulator) as url,
        httpx.Client(base_url=url, headers={"Authorization": "Bearer t"}) as c,
    ):
        assert (
            c.put(WS, params=V, json={"location": "eastus"}).json()["error"]["code"]
            == "ResourceGroupNotFound"
        )
        assert c.post("/_emulator/resourceGroups", json={"name": "admin-rg"}).status_code == 201
        knobs = c.patch("/_emulator/knobs", json={"lro_mode": "200-state", "page_size": 7}).json()
        assert knobs["lro_mode"] == "200-state" and knobs["page_size"] == 7
        assert c.patch("/_emulator/knobs", json={"nope": 1}).status_code == 400
        assert c.put(WS, params=V, json=workspace_body()).status_code == 200
        edited = c.patch(f"/_emulator/resources{WS}", json={"tags": {"by": "portal"}})
        assert edited.status_code == 200
        assert c.get(WS, params=V).json()["tags"] == {"by": "portal"}
        state = c.get("/_emulator/state").json()
        assert len(state["workspaces"]) == 1
        tokens = [
            {
                "id": "00000000-0000-0000-0000-000000000001",
                "name": "ci",
                "createdAt": "2026-01-01T00:00:00Z",
                "expiryAt": "2027-01-01T00:00:00Z",
            }
        ]
        account = "eastus_0000-aaaa"
        assert c.put(f"/_emulator/playwright/{account}/tokens", json=tokens).status_code == 204
        # An id the service would refuse to list is refused when seeded, not accepted silently.
        assert c.put("/_emulator/playwright/not an id/tokens", json=tokens).status_code == 400
        listed = c.get(f"/accounts/{account}/access-tokens", params={"api-version": "2024-12-01"})
        assert [t["name"] for t in listed.json()["value"]] == ["ci"]
        stats = c.get("/_emulator/stats").json()
        assert stats["requests"]["PUT workspace.put"] == 2
        assert stats["statuses"]["404"] == 1
        assert c.post("/_emulator/stats/reset").status_code == 204
        assert c.get("/_emulator/stats").json()["total"] == 0
        assert c.get("/_emulator/nothing").status_code == 404
