"""Every x-ms-examples file in ../shared/specs is replayed against the emulator.

The example's request is sent (path and query built from its parameters, its body if any) and
the answer must have one of the documented status codes and the same shape as the documented
response: every key the example shows, with the same JSON type, recursively. Resources an
example reads are created first from the example's own response body.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import Emulator, Knobs, transport
from tests.linked import workspace_body
from tests.upstream import SHARED_ABSENT, shared_path

ARM_SPECS = [
    "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/"
    "2023-04-01/machineLearningServices.json",
    "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/"
    "2024-04-01/workspaceRP.json",
    "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/"
    "2025-09-01/workspaceRP.json",
]
# The spec's AccessTokens_List example. The older-named AccessTokens_ListAccessTokens.json
# beside it predates the accountId pattern (its "sampleAccountId" has no '-' part, see
# shared/specs/SOURCES.md), so the emulator rightly refuses it; a test below pins that.
PLAYWRIGHT_EXAMPLES = [
    "playwrighttesting/PlaywrightTesting.AuthManager/examples/2024-12-01/AccessTokens_List.json",
]
OLD_PLAYWRIGHT_EXAMPLE = (
    "playwrighttesting/data-plane/Microsoft.PlaywrightTesting.AuthManager/stable/2024-12-01/"
    "examples/AccessTokens_ListAccessTokens.json"
)
# Server-side facts the emulator has no source for: private endpoints are made in the network
# resource provider, CMK resource groups only with customer-managed keys.
NOT_EMULATED = {
    "privateEndpointConnections",
    "serviceProvisionedResourceGroup",
    "imageBuildCompute",
    # an outbound rule's failure text: the emulator's rules never fail (it answers null)
    "errorInformation",
}


def _examples(specs_dir: Path) -> Iterator[tuple[str, str, str, Path]]:
    for relative in ARM_SPECS:
        spec_path = specs_dir / relative
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        for template, operations in spec["paths"].items():
            for method, op in operations.items():
                for ref in (op.get("x-ms-examples") or {}).values():
                    example = Path(os.path.normpath(spec_path.parent / ref["$ref"]))
                    if example.is_file():
                        yield op["operationId"], method.upper(), template, example


def _json_type(value: Any) -> str:
    return {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
        type(None): "null",
    }[type(value)]


def _shape_mismatches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    if expected is None or (actual is None and path.endswith(".nextLink")):
        return []  # a last page has no next link, whatever the example shows
    if _json_type(expected) != _json_type(actual):
        return [f"{path}: expected {_json_type(expected)}, got {_json_type(actual)}"]
    problems: list[str] = []
    if isinstance(expected, dict):
        for key, value in expected.items():
            if key in NOT_EMULATED:
                continue
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += _shape_mismatches(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list) and expected and actual:
        problems += _shape_mismatches(expected[0], actual[0], f"{path}[0]")
    return problems


def _client(emulator: Emulator) -> httpx.Client:
    return httpx.Client(
        transport=transport(emulator),
        base_url="http://emulator.local",
        headers={"Authorization": "Bearer example"},
    )


def _prepare(
    client: httpx.Client, emulator: Emulator, params: dict[str, Any], responses: dict[str, Any]
) -> None:
    """Create what the example reads, from the example's own documented response."""
    sub, rg = params["subscriptionId"], params["resourceGroupName"]
    emulator.add_resource_group(rg, sub)
    ws = params.get("workspaceName")
    if ws is None:
        return
    base = (
        f"/subscriptions/{sub}/resourceGroups/{rg}/providers/"
        f"Microsoft.MachineLearningServices/workspaces/{ws}"
    )
    body = (responses.get("200") or {}).get("body") or {}
    items = body.get("value") if isinstance(body.get("value"), list) else None
    ws_body = items[0] if items and "location" in items[0] else body
    if "location" not in ws_body or "connections" in json.dumps(ws_body.get("type", "")):
        ws_body = workspace_body("eastus2euap")  # the parent of a child resource's example
    put = client.put(base, params={"api-version": "2024-04-01"}, json=ws_body)
    assert put.status_code < 300, put.text
    if "ruleName" in params or (items and "outboundRules" in items[0].get("type", "")):
        for item in items or [body]:
            name = params.get("ruleName") if not items else item["name"]
            if item.get("properties"):
                client.put(
                    f"{base}/outboundRules/{name}",
                    params={"api-version": "2025-09-01"},
                    json={"properties": item["properties"]},
                ).raise_for_status()
        return
    if "connectionName" in params or (items and "connections" in items[0].get("type", "")):
        for item in items or [body]:
            name = params.get("connectionName") if not items else item["name"]
            props = dict(item.get("properties") or {"authType": "None"})
            client.put(
                f"{base}/connections/{name}",
                params={"api-version": "2024-04-01"},
                json={"properties": props},
            ).raise_for_status()


def _cases(specs_dir: Path) -> list[Any]:
    return [
        pytest.param(
            method,
            template,
            example,
            id=f"{example.parent.parent.parent.name}/{example.parent.name}/{example.stem}",
        )
        for _, method, template, example in _examples(specs_dir)
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "arm_example" in metafunc.fixturenames:
        specs_dir = shared_path("specs")
        cases = (
            _cases(specs_dir)
            if specs_dir is not None
            else [
                pytest.param("", "", Path(), marks=pytest.mark.skip(SHARED_ABSENT.format("specs")))
            ]
        )
        metafunc.parametrize(("method", "template", "arm_example"), cases)


def test_arm_example_is_answered_as_documented(
    method: str, template: str, arm_example: Path
) -> None:
    example = json.loads(arm_example.read_text(encoding="utf-8"))
    params, responses = example["parameters"], example["responses"]
    emulator = Emulator(knobs=Knobs())
    client = _client(emulator)
    if method != "PUT" or "connectionName" in params or "ruleName" in params:
        _prepare(client, emulator, params, responses if method != "PUT" else {})
    else:
        emulator.add_resource_group(params["resourceGroupName"], params["subscriptionId"])
    path = template
    query: dict[str, str] = {}
    body = None
    for name, value in params.items():
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", str(value))
        elif isinstance(value, dict):
            body = value
        else:
            query[name] = str(value)
    response = client.request(method, path, params=query, json=body)
    assert str(response.status_code) in responses, (response.status_code, response.text)
    documented = responses[str(response.status_code)].get("body")
    if documented is not None:
        mismatches = _shape_mismatches(documented, response.json())
        assert not mismatches, mismatches


def test_every_stored_arm_example_is_replayed(specs_dir: Path) -> None:
    assert len(_cases(specs_dir)) >= 24


@pytest.mark.parametrize("relative", PLAYWRIGHT_EXAMPLES)
def test_playwright_example_is_answered_as_documented(specs_dir: Path, relative: str) -> None:
    example = json.loads((specs_dir / relative).read_text(encoding="utf-8"))
    params = example["parameters"]
    documented = example["responses"]["200"]["body"]
    emulator = Emulator()
    emulator.playwright.seed(params["accountId"], documented["value"])
    response = _client(emulator).get(
        f"/accounts/{params['accountId']}/access-tokens",
        params={"api-version": params["api-version"]},
        headers={"x-ms-client-request-id": "abc-123"},
    )
    assert response.status_code == 200
    assert response.headers["x-ms-client-request-id"] == "abc-123"
    assert response.json()["value"] == documented["value"]
    assert not _shape_mismatches(documented, response.json())


def test_account_ids_outside_the_documented_pattern_are_refused(specs_dir: Path) -> None:
    example = json.loads((specs_dir / OLD_PLAYWRIGHT_EXAMPLE).read_text(encoding="utf-8"))
    account = example["parameters"]["accountId"]
    response = _client(Emulator()).get(
        f"/accounts/{account}/access-tokens", params={"api-version": "2024-12-01"}
    )
    assert response.status_code == 400
    assert response.headers["x-ms-error-code"] == "InvalidAccountId"
