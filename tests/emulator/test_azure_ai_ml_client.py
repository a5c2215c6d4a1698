"""The newest ARM client, vendored inside ``azure-ai-ml``, runs against the emulator unmodified
at its DEFAULT api-version (2025-12-01 for azure-ai-ml 1.35), over HTTPS, in every LRO shape:
workspace create + poll, get, list, update (PATCH), delete + poll; connection create, get,
list, list_secrets, delete; and the notebook access token."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, LroMode, running
from reconciler.emulator.contract import ACCEPTED
from reconciler.emulator.tls import self_signed

vendored = pytest.importorskip("azure.ai.ml._restclient.arm_ml_service")

RG = "aiml-rg"
DEPENDENCIES = f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers"


class StaticCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("emulator-token", int(time.time()) + 3600)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(params=[m.value for m in LroMode])
def client(request: pytest.FixtureRequest, certificate: tuple[Path, Path]) -> Iterator[Any]:
    emulator = Emulator(
        knobs=Knobs(lro_mode=LroMode(request.param), retry_after_seconds=0),
        resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
    )
    with running(emulator, certificate=certificate) as url:
        client = vendored.MachineLearningServicesMgmtClient(
            StaticCredential(),
            DEFAULT_SUBSCRIPTION,
            base_url=url,
            connection_verify=str(certificate[0]),
        )
        yield client
        client.close()


def test_the_client_default_api_version_is_accepted(client: Any) -> None:
    assert client._config.api_version in ACCEPTED


def _workspace(name: str) -> dict[str, Any]:
    return {
        "location": "westeurope",
        "kind": "Default",
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "friendlyName": name,
            "keyVault": f"{DEPENDENCIES}/Microsoft.KeyVault/vaults/kv{name}",
            "storageAccount": f"{DEPENDENCIES}/Microsoft.Storage/storageAccounts/sa{name}",
            "provisionNetworkNow": False,
        },
    }


def test_workspace_create_get_list_update_delete(client: Any) -> None:
    created = client.workspaces.begin_create_or_update(RG, "aimlws", _workspace("aimlws")).result()
    assert created.properties.provisioning_state == "Succeeded"
    assert created.identity.principal_id
    fetched = client.workspaces.get(RG, "AIMLWS")
    assert fetched.properties.friendly_name == "aimlws"
    assert [w.name for w in client.workspaces.list_by_resource_group(RG)] == ["aimlws"]
    assert [w.name for w in client.workspaces.list_by_subscription()] == ["aimlws"]
    updated = client.workspaces.begin_update(
        RG, "aimlws", {"properties": {"description": "patched"}, "tags": {"by": "patch"}}
    ).result()
    assert updated.properties.description == "patched"
    assert client.workspaces.get(RG, "aimlws").tags == {"by": "patch"}
    client.workspaces.begin_delete(RG, "aimlws").result()
    assert list(client.workspaces.list_by_resource_group(RG)) == []


def test_connections_create_get_list_listsecrets_delete(client: Any) -> None:
    client.workspaces.begin_create_or_update(RG, "connws", _workspace("connws")).result()
    body = {
        "properties": {
            "authType": "ApiKey",
            "category": "AzureOpenAI",
            "target": "https://contoso.openai.azure.com/",
            "credentials": {"key": "canary-aiml"},
        }
    }
    created = client.workspace_connections.create(RG, "connws", "aoai", body)
    assert created.name == "aoai"
    fetched = client.workspace_connections.get(RG, "connws", "AOAI")
    assert fetched.properties.category == "AzureOpenAI"
    assert "canary-aiml" not in str(fetched.as_dict())
    listed = list(client.workspace_connections.list(RG, "connws", category="AzureOpenAI"))
    assert [c.name for c in listed] == ["aoai"]
    secrets = client.workspace_connections.list_secrets(RG, "connws", "aoai")
    assert secrets.properties.credentials.key == "canary-aiml"
    client.workspace_connections.delete(RG, "connws", "aoai")
    assert list(client.workspace_connections.list(RG, "connws")) == []


def test_notebook_access_token(client: Any) -> None:
    client.workspaces.begin_create_or_update(RG, "nbws", _workspace("nbws")).result()
    token = client.workspaces.list_notebook_access_token(RG, "nbws")
    assert token.token_type == "Bearer"
    assert token.expires_in == 28800
    assert token.access_token and token.refresh_token
