"""Compute operations: ListBootVolumeAttachments."""

from __future__ import annotations

from ..core.listing import paginate
from ..core.responses import ApiResponse, BaseResponse
from .models import ComputeBackend


class ComputeResponse(BaseResponse):
    @property
    def backend(self) -> ComputeBackend:
        return self.world.backend(ComputeBackend, self.tenancy_id, self.region.name)

    def list_boot_volume_attachments(self) -> ApiResponse:
        """``availabilityDomain`` and ``compartmentId`` are required (Core API); ``instanceId`` and
        ``bootVolumeId`` filter."""
        ad = self.query("availabilityDomain", required=True)
        compartment_id = self.query("compartmentId", required=True)
        instance_id = self.query("instanceId")
        boot_volume_id = self.query("bootVolumeId")
        items = [
            a
            for a in self.backend.attachments.values()
            if a.availability_domain == ad
            and a.compartment_id == compartment_id
            and (instance_id is None or a.instance_id == instance_id)
            and (boot_volume_id is None or a.boot_volume_id == boot_volume_id)
        ]
        page, next_page = paginate(items, self.request.query, lambda a: a.seq)
        headers = {"opc-next-page": next_page} if next_page else {}
        return ApiResponse(body=[a.to_json() for a in page], headers=headers)
