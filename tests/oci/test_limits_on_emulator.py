"""The client's GetResourceAvailability: the limits host for real OCI, the emulator under
OCI_ENDPOINT_TEMPLATE, the answer typed, a refusal typed."""

from __future__ import annotations

import pytest

from emulator import EmulatorControl
from shared.oci.client import OciClient
from shared.oci.endpoints import Service, service_endpoint
from shared.oci.errors import InvalidParameter, NotAuthorizedOrNotFound
from shared.oci.limits import BACKUP_COUNT, BLOCK_STORAGE, resource_availability
from tests.conftest import HOME_REGION
from tests.emulator_fixtures import ApiKey


def test_limits_host_for_real_oci() -> None:
    assert (
        service_endpoint(Service.LIMITS, "eu-frankfurt-1")
        == "https://limits.eu-frankfurt-1.oci.oraclecloud.com/20190729"
    )


def test_the_tenancys_backup_count(emu: EmulatorControl, client: OciClient, api_key: ApiKey, compartment: str) -> None:
    emu.grant_resource_availability()
    emu.seed_backup(HOME_REGION, emu.create_volume(HOME_REGION, compartment, "db01")["id"])
    answer = resource_availability(client, HOME_REGION, BLOCK_STORAGE, BACKUP_COUNT, api_key.tenancy_id)
    assert (answer.used, answer.available, answer.fractional_usage) == (1, 99_999, 1.0)
    assert answer.effective_quota_value is None and answer.opc_request_id


def test_refusals_are_typed(emu: EmulatorControl, client: OciClient, api_key: ApiKey) -> None:
    with pytest.raises(NotAuthorizedOrNotFound):  # no `read resource-availability`
        resource_availability(client, HOME_REGION, BLOCK_STORAGE, BACKUP_COUNT, api_key.tenancy_id)
    emu.grant_resource_availability()
    with pytest.raises(InvalidParameter):
        resource_availability(
            client,
            HOME_REGION,
            BLOCK_STORAGE,
            BACKUP_COUNT,
            api_key.tenancy_id,
            availability_domain="Uocm:US-ASHBURN-AD-1",
        )
    assert emu.calls() == {f"{HOME_REGION} GetResourceAvailability": 2}  # a 404 and a 400 are not retried
