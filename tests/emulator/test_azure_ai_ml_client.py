"""The 2024+ ARM client vendored inside ``azure-ai-ml`` drives connections and the notebook
token against the emulator, unmodified, over HTTPS: the same proof as for workspaces, for the
operations ``azure-mgmt-machinelearningservices`` (api 2020-08-01) does not have.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, running
from reconciler.emulator.tls import self_signed

vendored = pytest.importorskip("azure.ai.ml._restclient.arm_ml_service")

RG = "aiml-rg"
WS = "aimlws"


class StaticCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("emulator-token", int(time.time()) + 3600)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    certificate = self_signed(tmp_path_factory.mktemp("tls"))
    emulator = Emulator(
        knobs=Knobs(retry_after_seconds=0), resource_groups=((DEFAULT_SUBSCRIPTION, RG),)
    )
    with running(emulator, certificate=certificate) as url:
        client = vendored.MachineLearningServicesMgmtClient(
            StaticCredential(),
            DEFAULT_SUBSCRIPTION,
            base_url=url,
            api_version="2024-04-01",
            connection_verify=str(certificate[0]),
        )
        client.workspaces.begin_create_or_update(
            RG, WS, {"location": "westeurope", "properties": {}}
        ).result()
        yield client


def test_connections_create_get_list_listsecrets_delete(client: Any) -> None:
    body = {
        "properties": {
            "authType": "ApiKey",
            "category": "AzureOpenAI",
            "target": "https://contoso.openai.azure.com/",
            "credentials": {"key": "canary-aiml"},
        }
    }
    created = client.workspace_connections.create(RG, WS, "aoai", body)
    assert created.name == "aoai"
    fetched = client.workspace_connections.get(RG, WS, "AOAI")
    assert fetched.properties.category == "AzureOpenAI"
    assert "canary-aiml" not in str(fetched.as_dict())
    listed = list(client.workspace_connections.list(RG, WS, category="AzureOpenAI"))
    assert [c.name for c in listed] == ["aoai"]
    secrets = client.workspace_connections.list_secrets(RG, WS, "aoai")
    assert secrets.properties.credentials.key == "canary-aiml"
    client.workspace_connections.delete(RG, WS, "aoai")
    assert list(client.workspace_connections.list(RG, WS)) == []


def test_notebook_access_token(client: Any) -> None:
    token = client.workspaces.list_notebook_access_token(RG, WS)
    assert token.token_type == "Bearer"
    assert token.expires_in == 28800
    assert token.access_token and token.refresh_token
