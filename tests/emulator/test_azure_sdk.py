"""The official Azure SDK talks to the emulator unmodified: that is how we know it speaks ARM.

``azure-mgmt-machinelearningservices`` runs over real HTTPS on loopback (azure-core refuses
bearer tokens over plain HTTP), verifying the emulator's self-signed certificate, and its
``begin_create_or_update(...).result()`` completes through azure-core's ARM polling.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from reconciler.emulator import DEFAULT_SUBSCRIPTION, Emulator, Knobs, LroMode, running
from reconciler.emulator.tls import self_signed
from tests.linked import KEY_VAULT, STORAGE_ACCOUNT

ml = pytest.importorskip("azure.mgmt.machinelearningservices")
models = ml.models

RG = "sdk-rg"


class StaticCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("emulator-token", int(time.time()) + 3600)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(params=[m.value for m in LroMode])
def client(request: pytest.FixtureRequest, certificate: tuple[Path, Path]) -> Iterator[Any]:
    # Retry-After 0: the SDK honours it, so polling adds no real waiting.
    emulator = Emulator(
        knobs=Knobs(lro_mode=LroMode(request.param), retry_after_seconds=0),
        resource_groups=((DEFAULT_SUBSCRIPTION, RG),),
    )
    with running(emulator, certificate=certificate) as url:
        yield ml.MachineLearningServicesMgmtClient(
            StaticCredential(),
            DEFAULT_SUBSCRIPTION,
            base_url=url,
            api_version="2023-04-01",
            connection_verify=str(certificate[0]),
        )


def test_create_get_list_and_delete_a_workspace_with_every_lro_shape(client: Any) -> None:
    poller = client.workspaces.begin_create_or_update(
        RG,
        "sdkws",
        models.Workspace(
            location="East US 2",
            friendly_name="From the SDK",
            key_vault=KEY_VAULT,
            storage_account=STORAGE_ACCOUNT,
            identity=models.Identity(type="SystemAssigned"),
        ),
    )
    created = poller.result()
    assert created.provisioning_state == "Succeeded"
    assert created.location == "eastus2"
    assert created.identity.principal_id
    fetched = client.workspaces.get(RG, "SDKWS")
    assert fetched.friendly_name == "From the SDK"
    assert fetched.hbi_workspace is False
    assert [w.name for w in client.workspaces.list_by_resource_group(RG)] == ["sdkws"]
    assert [w.name for w in client.workspaces.list_by_subscription()] == ["sdkws"]
    client.workspaces.begin_delete(RG, "sdkws").result()
    assert list(client.workspaces.list_by_resource_group(RG)) == []


def test_sdk_sees_arm_errors_as_http_response_errors(client: Any) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError) as caught:
        client.workspaces.get(RG, "missing")
    assert caught.value.error.code == "ResourceNotFound"
