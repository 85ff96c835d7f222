"""The emulator every scenario runs against: spawned as its own process, one compartment and topic."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.procs import PRODUCT, process_cpu_seconds
from emulator import EmulatorControl
from emulator.events import make_event
from tests.fdk_harness import ROOT

REGION = "us-ashburn-1"


@dataclass
class Lab:
    control: EmulatorControl
    emulator_pid: int
    compartment: str = ""
    topic: str = ""
    topic_endpoint: str = ""
    credentials: dict[str, str] = field(default_factory=dict)

    def fresh(self, **settings: Any) -> None:
        """Wipe the emulator; a new compartment, topic and resource-principal credentials."""
        self.control.reset()
        self.control.settings(publish_per_minute=1_000_000, **settings)
        self.compartment = str(self.control.create_compartment("bench")["id"])
        topic = self.control.create_topic(REGION, self.compartment, "bench-results")
        self.topic, self.topic_endpoint = str(topic["topicId"]), str(topic["apiEndpoint"])
        issued = self.control.issue_resource_principal(REGION, ttl_seconds=4 * 3600)
        self.credentials = {
            "OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
            "OCI_RESOURCE_PRINCIPAL_RPST": issued["rpst"],
            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": issued["private_key_pem"],
            "OCI_RESOURCE_PRINCIPAL_REGION": REGION,
        }

    def function_config(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """What the Functions runtime and the function config give a function (both sides read these).

        The topic's ``apiEndpoint`` is passed as Terraform passes it (``terraform/locals.tf``), so
        neither side calls GetTopic: the deployed functions are not granted it."""
        return {
            **self.credentials,
            "OCI_ENDPOINT_TEMPLATE": self.control.endpoint_template,
            "NOTIFICATION_TOPIC_ID": self.topic,
            "NOTIFICATION_TOPIC_ENDPOINT": self.topic_endpoint,
            "COMPARTMENT_IDS": self.compartment,
            **(extra or {}),
        }

    def emulator_cpu_seconds(self) -> float:
        return process_cpu_seconds(self.emulator_pid)

    def new_volume_event(self, name: str) -> dict[str, Any]:
        """A fresh volume and the ``createvolume.end`` event that announces it."""
        volume = self.control.create_volume(REGION, self.compartment, name, freeform_tags={"env": "bench"})
        return make_event("createvolume.end", volume["id"], name, self.compartment)

    def seed_volumes(self, count: int) -> float:
        """``count`` AVAILABLE volumes in the compartment; returns the seconds it took."""
        started = time.perf_counter()
        for i in range(count):
            self.control.create_volume(REGION, self.compartment, f"vol-{i:05d}", freeform_tags={"env": "bench"})
        return time.perf_counter() - started


@contextmanager
def lab() -> Iterator[Lab]:
    """``python -m emulator --port 0`` in its own process (its CPU time can be read apart)."""
    emulator = subprocess.Popen(
        [str(PRODUCT.python), "-m", "emulator", "--port", "0"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        base_url = emulator.stdout.readline().strip().rsplit(" ", 1)[-1]
        if not base_url.startswith("http"):
            raise RuntimeError(f"the emulator did not start: {base_url!r}")
        yield Lab(EmulatorControl(base_url, timeout=120.0), emulator.pid)
    finally:
        emulator.terminate()
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()
            emulator.wait()
