"""GetResourceAvailability: 200 with the figures, or 4xx (``models.py`` says which and why)."""

from __future__ import annotations

from ..core.responses import ApiResponse, BaseResponse
from .models import resource_availability


class LimitsResponse(BaseResponse):
    def get_resource_availability(self) -> ApiResponse:
        compartment_id = self.query("compartmentId", required=True)
        assert compartment_id is not None
        answer = resource_availability(
            self.world,
            self.tenancy_id,
            self.region.name,
            self.param("serviceName"),
            self.param("limitName"),
            compartment_id,
            self.query("availabilityDomain"),
        )
        return self.json(answer.to_json())
