"""What a Workspace's ``outputs:`` asks apply to show: endpoints and ids, never tokens."""

from __future__ import annotations

from typing import Any


def workspace_outputs(body: Any, wanted: tuple[str, ...]) -> dict[str, str]:
    props = (body or {}).get("properties") or {} if isinstance(body, dict) else {}
    fqdn = (props.get("notebookInfo") or {}).get("fqdn")
    values = {
        "notebookEndpoint": f"https://{fqdn}" if fqdn else None,
        "mlFlowTrackingUri": props.get("mlFlowTrackingUri"),
        "discoveryUrl": props.get("discoveryUrl"),
        "workspaceId": props.get("workspaceId"),
    }
    return {name: str(values.get(name) or "(not reported by Azure)") for name in wanted}
