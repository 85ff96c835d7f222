"""InvokeFunction: 202 for ``fn-invoke-type: detached``, else 200 with an empty body."""

from __future__ import annotations

from ..core.exceptions import InvalidParameter
from ..core.responses import ApiResponse, BaseResponse
from .models import FunctionsBackend


class FunctionsResponse(BaseResponse):
    @property
    def backend(self) -> FunctionsBackend:
        return self.world.backend(FunctionsBackend, self.tenancy_id, self.region.name)

    def invoke_function(self) -> ApiResponse:
        invoke_type = self.request.headers.get("fn-invoke-type", "sync").lower()
        if invoke_type not in ("sync", "detached"):
            raise InvalidParameter("Invalid value for 'fn-invoke-type': must be sync or detached.")
        detached = invoke_type == "detached"
        self.backend.invoke(self.param("functionId"), detached, self.request.body, dict(self.request.headers))
        return ApiResponse(status=202 if detached else 200, raw=b"")
