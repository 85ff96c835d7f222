"""Fixtures of the client tests against the emulator."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator import EmulatorControl
from shared.oci.blockstorage import BlockStorage
from shared.oci.client import OciClient
from shared.oci.credentials import ApiKeyCredentials
from tests.conftest import HOME_REGION
from tests.emulator_fixtures import ApiKey


@pytest.fixture
def client(emu: EmulatorControl, api_key: ApiKey) -> OciClient:
    """The client against the emulator, signed with the test's registered API key."""
    key = serialization.load_pem_private_key(api_key.private_key_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    credentials = ApiKeyCredentials(api_key.key_id, key, region=HOME_REGION, tenancy_id=api_key.tenancy_id)
    return OciClient(credentials, endpoint_template=emu.endpoint_template)


@pytest.fixture
def storage(client: OciClient) -> BlockStorage:
    """Block Volume calls in the home region."""
    return BlockStorage(client, HOME_REGION)
