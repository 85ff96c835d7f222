"""Instances and their boot volume attachments.

Assumption (named, not verified against a live tenancy): launching an instance emits
``com.oraclecloud.computeapi.launchinstance.end`` (source ``ComputeApi``, ``resourceId`` = the instance)
and NOT ``com.oraclecloud.blockvolumes.createbootvolume.end`` for the boot volume it creates; the
boot volume is found through the instance's boot volume attachment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..blockstorage.models import BlockstorageBackend
from ..core.clock import rfc3339
from ..core.ids import new_ocid
from ..core.regions import find_region
from ..core.state import GLOBAL, BaseBackend, World
from ..events import SUCCEEDED, make_event
from ..identity.models import IdentityBackend

LAUNCH_END = "com.oraclecloud.computeapi.launchinstance.end"


@dataclass
class Instance:
    id: str
    compartment_id: str
    display_name: str
    availability_domain: str
    boot_volume_id: str
    time_created: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "compartmentId": self.compartment_id,
            "displayName": self.display_name,
            "availabilityDomain": self.availability_domain,
            "lifecycleState": "RUNNING",
            "timeCreated": rfc3339(self.time_created),
        }


@dataclass
class BootVolumeAttachment:
    id: str
    instance_id: str
    boot_volume_id: str
    compartment_id: str
    availability_domain: str
    display_name: str
    time_created: float
    seq: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "instanceId": self.instance_id,
            "bootVolumeId": self.boot_volume_id,
            "compartmentId": self.compartment_id,
            "availabilityDomain": self.availability_domain,
            "displayName": self.display_name,
            "lifecycleState": "ATTACHED",
            "timeCreated": rfc3339(self.time_created),
            "isPvEncryptionInTransitEnabled": False,
        }


class ComputeBackend(BaseBackend):
    def __init__(self, world: World, tenancy_id: str, region: str) -> None:
        super().__init__(world, tenancy_id, region)
        self.instances: dict[str, Instance] = {}
        self.attachments: dict[str, BootVolumeAttachment] = {}

    def launch_instance(
        self,
        compartment_id: str,
        display_name: str,
        *,
        availability_domain: str | None = None,
        image_type: str = "platform",
        freeform_tags: dict[str, str] | None = None,
        defined_tags: dict[str, dict[str, Any]] | None = None,
    ) -> tuple[Instance, dict[str, Any]]:
        """Launch: a boot volume (no Block Volume event), its attachment, then ``launchinstance.end``."""
        region = find_region(self.region)
        storage = self.world.backend(BlockstorageBackend, self.tenancy_id, self.region)
        boot = storage.create_volume(
            compartment_id,
            f"{display_name} (Boot Volume)",
            boot=True,
            freeform_tags=freeform_tags,
            defined_tags=defined_tags,
            availability_domain=availability_domain,
            image_type=image_type,
            announce=False,
        )
        now = self.world.clock.now()
        instance = Instance(
            new_ocid("instance", region), compartment_id, display_name, boot.availability_domain, boot.id, now
        )
        attachment = BootVolumeAttachment(
            new_ocid("bootvolumeattachment", region),
            instance.id,
            boot.id,
            compartment_id,
            boot.availability_domain,
            f"Remote boot attachment for instance {display_name}",
            now,
            len(self.attachments) + 1,
        )
        self.instances[instance.id] = instance
        self.attachments[attachment.id] = attachment
        identity = self.world.backend(IdentityBackend, self.tenancy_id, GLOBAL)
        envelope = make_event(
            LAUNCH_END,
            resource_id=instance.id,
            resource_name=display_name,
            compartment_id=compartment_id,
            freeform_tags=freeform_tags,
            defined_tags=defined_tags,
            additional_details={"status": SUCCEEDED},
            compartment_name=identity.compartment_name(compartment_id),
            event_time_ts=now,
            availability_domain=instance.availability_domain,
            source="ComputeApi",
        )
        self.world.events.record({"region": self.region, "tenancyId": self.tenancy_id, "event": envelope})
        return instance, boot.to_json()
