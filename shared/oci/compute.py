"""Compute (Core API, ``iaas`` host): the boot volume an instance boots from.

A boot volume created by launching an instance is found through the instance's boot volume
attachment (ListBootVolumeAttachments needs the availability domain and the compartment).
"""

from __future__ import annotations

from shared.oci.client import OciClient, OciRequest
from shared.oci.endpoints import Service
from shared.oci.models import OciModel, State
from shared.oci.retry import NO_DEADLINE, Deadline


class BootVolumeAttachment(OciModel):
    """ListBootVolumeAttachments: which boot volume an instance boots from."""

    id: str
    instance_id: str
    boot_volume_id: str
    availability_domain: str | None = None
    lifecycle_state: State | None = None


def boot_volume_attachments(
    client: OciClient,
    region: str,
    availability_domain: str,
    compartment_id: str,
    instance_id: str,
    deadline: Deadline = NO_DEADLINE,
) -> list[BootVolumeAttachment]:
    params = {"availabilityDomain": availability_domain, "compartmentId": compartment_id, "instanceId": instance_id}
    path = "/bootVolumeAttachments"
    request = OciRequest("ListBootVolumeAttachments", "GET", Service.BLOCKSTORAGE, region, path, params)
    items = client.paginate(request._replace(deadline=deadline))
    return [BootVolumeAttachment.model_validate(item) for item in items]
