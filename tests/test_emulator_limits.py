"""Emulator: the Limits service's GetResourceAvailability for block-storage / backup-count, counted from
the emulator's own backups, and each of its refusals."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator import DEFAULT_TENANCY, EmulatorControl
from emulator.api_client import SignedApi
from tests.emulator_fixtures import ApiKey, error
from tests.test_emulator_restores import sdk_python

REGION = "us-ashburn-1"
COMP = "ocid1.compartment.oc1..aaaaaaaaprod"
PATH = "/20190729/services/block-storage/limits/backup-count/resourceAvailability"


def ask(api: SignedApi, path: str = PATH, region: str = REGION, **params: Any) -> requests.Response:
    query = {"compartmentId": DEFAULT_TENANCY, **params}
    return api.get(path, endpoint=f"{api.base_url}/limits/{region}", params={k: v for k, v in query.items() if v})


@pytest.fixture
def granted(emu: EmulatorControl) -> EmulatorControl:
    assert emu.grant_resource_availability() is True
    return emu


def test_usage_counts_volume_and_boot_backups_with_group_members(
    granted: EmulatorControl, signed_api: SignedApi
) -> None:
    volume = granted.create_volume(REGION, COMP, "db01")
    boot = granted.create_boot_volume(REGION, COMP, "web01")
    group = granted.create_volume_group(
        REGION, COMP, "vg", [granted.create_volume(REGION, COMP, f"m{n}")["id"] for n in range(3)]
    )
    granted.seed_backup(REGION, volume["id"])
    granted.seed_backup(REGION, boot["id"], boot=True)
    granted.seed_backup(REGION, volume["id"], lifecycle_state="TERMINATED")  # gone: not counted
    granted.seed_group_backup(REGION, group["id"])  # its three member backups count, the group itself not
    other = "ocid1.tenancy.oc1..aaaaaaaaother"
    granted.seed_backup(REGION, granted.create_volume(REGION, COMP, "x", tenancy_id=other)["id"], tenancy_id=other)
    response = ask(signed_api)
    assert response.status_code == 200, response.text
    assert response.headers["opc-request-id"]
    assert response.json() == {
        "used": 5,
        "available": 99_995,
        "fractionalUsage": 5.0,
        "fractionalAvailability": 99_995.0,
    }
    assert ask(signed_api, region="us-phoenix-1").json()["used"] == 0  # a regional limit: per region
    assert granted.calls() == {f"{REGION} GetResourceAvailability": 1, "us-phoenix-1 GetResourceAvailability": 1}


def test_the_limit_is_a_setting_and_availability_never_negative(
    granted: EmulatorControl, signed_api: SignedApi
) -> None:
    volume = granted.create_volume(REGION, COMP, "db01")
    for _ in range(3):
        granted.seed_backup(REGION, volume["id"])
    granted.settings(backup_count_limit=2)
    assert ask(signed_api).json() == {"used": 3, "available": 0, "fractionalUsage": 3.0, "fractionalAvailability": 0.0}


def test_a_compartment_answers_its_subtree_and_the_tenancys_availability(
    granted: EmulatorControl, signed_api: SignedApi
) -> None:
    parent = granted.create_compartment("prod")["id"]
    child = granted.create_compartment("db", parent_id=parent)["id"]
    for compartment, name in ((parent, "a"), (child, "b"), (COMP, "c")):
        granted.seed_backup(REGION, granted.create_volume(REGION, compartment, name)["id"])
    assert ask(signed_api, compartmentId=parent).json()["used"] == 2
    assert ask(signed_api, compartmentId=child).json() == {
        "used": 1,
        "available": 99_997,  # the tenancy's: three backups in all
        "fractionalUsage": 1.0,
        "fractionalAvailability": 99_997.0,
    }


def test_refused_without_the_grant(emu: EmulatorControl, signed_api: SignedApi) -> None:
    assert error(ask(signed_api)) == (404, "NotAuthorizedOrNotFound")  # nothing granted by default
    emu.grant_resource_availability()
    assert ask(signed_api).status_code == 200
    assert emu.grant_resource_availability(False) is False
    assert error(ask(signed_api)) == (404, "NotAuthorizedOrNotFound")


def test_the_grant_is_per_tenancy(emu: EmulatorControl, signed_api: SignedApi) -> None:
    emu.grant_resource_availability(tenancy_id="ocid1.tenancy.oc1..aaaaaaaaother")
    assert error(ask(signed_api)) == (404, "NotAuthorizedOrNotFound")


@pytest.mark.parametrize(
    "path",
    [
        "/20190729/services/compute/limits/backup-count/resourceAvailability",
        "/20190729/services/block-storage/limits/backups/resourceAvailability",
    ],
    ids=["another service", "another limit"],
)
def test_an_unknown_service_or_limit_is_not_found(granted: EmulatorControl, signed_api: SignedApi, path: str) -> None:
    refused = ask(signed_api, path)
    assert error(refused) == (404, "NotAuthorizedOrNotFound")


def test_an_unknown_compartment_is_not_found(granted: EmulatorControl, signed_api: SignedApi) -> None:
    assert error(ask(signed_api, compartmentId="ocid1.compartment.oc1..aaaaaaaanothere")) == (
        404,
        "NotAuthorizedOrNotFound",
    )


def test_the_compartment_is_required(granted: EmulatorControl, signed_api: SignedApi) -> None:
    refused = signed_api.get(PATH, endpoint=f"{signed_api.base_url}/limits/{REGION}")
    assert error(refused) == (400, "MissingParameter") and "compartmentId" in refused.json()["message"]


def test_an_availability_domain_for_a_regional_limit_is_refused(
    granted: EmulatorControl, signed_api: SignedApi
) -> None:
    refused = ask(signed_api, availabilityDomain="Uocm:US-ASHBURN-AD-1")
    assert error(refused) == (400, "InvalidParameter") and "availabilityDomain" in refused.json()["message"]


def test_only_on_the_limits_host(granted: EmulatorControl, signed_api: SignedApi) -> None:
    wrong = signed_api.get(
        PATH, endpoint=f"{signed_api.base_url}/iaas/{REGION}", params={"compartmentId": DEFAULT_TENANCY}
    )
    assert error(wrong) == (404, "NotFound")


def test_unsigned_is_refused(emulator: Any, granted: EmulatorControl) -> None:
    refused = requests.get(
        f"{emulator.base_url}/limits/{REGION}{PATH}", params={"compartmentId": DEFAULT_TENANCY}, timeout=10
    )
    assert error(refused) == (401, "NotAuthenticated")


SDK_SCRIPT = """
import json, sys
import oci
base, region, tenancy, user, fingerprint, key_file = sys.argv[1:7]
config = {"user": user, "fingerprint": fingerprint, "tenancy": tenancy, "key_file": key_file, "region": region}
client = oci.limits.LimitsClient(config, service_endpoint=f"{base}/limits/{region}")
client.base_client.retry_strategy = None
answer = client.get_resource_availability("block-storage", "backup-count", tenancy).data
print(json.dumps({"used": answer.used, "available": answer.available, "fractional": answer.fractional_usage,
                  "quota": answer.effective_quota_value}))
"""


def test_the_official_sdk_parses_the_answer(
    granted: EmulatorControl, emulator: Any, api_key: ApiKey, tmp_path: Path
) -> None:
    """The SDK's LimitsClient, pointed at the emulator's limits host, reads the answer into its model."""
    python = sdk_python()
    if python is None:
        pytest.skip("no official OCI SDK interpreter (set OCI_SDK_PYTHON or run `make bench` for bench/.venv-sdk)")
    granted.seed_backup(REGION, granted.create_volume(REGION, COMP, "db01")["id"])
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(api_key.private_key_pem)
    tenancy, user, fingerprint = api_key.key_id.split("/")
    done = subprocess.run(  # -I: this folder (tests/, with its oci/ package) must not shadow the SDK
        [str(python), "-I", "-c", SDK_SCRIPT, emulator.base_url, REGION, tenancy, user, fingerprint, str(key_file)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"used": 1, "available": 99_999, "fractional": 1.0, "quota": None}
