"""Shared fixtures: the emulator (plugin) and functions running as real fdk processes against it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping

import pytest

from emulator import EmulatorControl
from emulator.core.ids import DEFAULT_TENANCY
from tests.fdk_harness import FdkProcess

pytest_plugins = ["tests.emulator_fixtures", "tests.skip_summary"]

HOME_REGION = "us-ashburn-1"
DR_REGION = "us-phoenix-1"
GATEWAY_TOKEN = "gateway-shared-token-for-tests-0123456789"
GATEWAY_TOKEN_SHA256 = hashlib.sha256(GATEWAY_TOKEN.encode()).hexdigest()
GATEWAY_HEADERS = {"X-Gateway-Token": GATEWAY_TOKEN, "X-Auth-Subject": "ocid1.user.oc1..operator"}


def resource_principal_env(control: EmulatorControl, region: str = HOME_REGION) -> dict[str, str]:
    """The env the Functions runtime sets, with literals issued by the emulator."""
    issued = control.issue_resource_principal(region)
    return {
        "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
        "OCI_RESOURCE_PRINCIPAL_RPST": issued["rpst"],
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": issued["private_key_pem"],
        "OCI_RESOURCE_PRINCIPAL_REGION": region,
    }


@pytest.fixture
def compartment(emu: EmulatorControl) -> str:
    return str(emu.create_compartment("prod")["id"])


@pytest.fixture
def topic(emu: EmulatorControl, compartment: str) -> str:
    return str(emu.create_topic(HOME_REGION, compartment, "backup-results")["topicId"])


StartFunction = Callable[..., FdkProcess]


@pytest.fixture
def start_function(emu: EmulatorControl, topic: str, compartment: str) -> Iterator[StartFunction]:
    """Start ``fdk func.py handler`` with HANDLER and config; stopped after the test.

    Each start registers a function in the emulator (its own invoke endpoint) and runs as it
    (``FN_FN_ID``), so a sweep's hand-over can reach it."""
    started: list[FdkProcess] = []

    def start(handler: str, config: Mapping[str, str] | None = None, region: str = HOME_REGION) -> FdkProcess:
        function = emu.create_function(region, compartment, handler.replace("_", "-"))
        env = {
            "HANDLER": handler,
            "FN_FN_ID": function["id"],
            "OCI_ENDPOINT_TEMPLATE": emu.endpoint_template,
            "NOTIFICATION_TOPIC_ID": topic,
            "COMPARTMENT_IDS": compartment,
            "GATEWAY_TOKEN_SHA256": GATEWAY_TOKEN_SHA256,
            **resource_principal_env(emu, region),
            **(config or {}),
        }
        process = FdkProcess({k: v for k, v in env.items() if v is not None}).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


__all__ = ["DEFAULT_TENANCY", "DR_REGION", "GATEWAY_HEADERS", "HOME_REGION", "StartFunction"]
