"""GetFunction (management host) and InvokeFunction (the function's own invoke endpoint only):
202 for ``fn-invoke-type: detached``; a sync call runs the function's fdk process when it has one
(``agent.py``), else answers 200 with an empty body. Every call is recorded."""

from __future__ import annotations

from ..core.exceptions import InvalidParameter, NotAuthorizedOrNotFound
from ..core.responses import ApiResponse, BaseResponse
from .agent import forward
from .models import FunctionsBackend


class FunctionsResponse(BaseResponse):
    @property
    def backend(self) -> FunctionsBackend:
        return self.world.backend(FunctionsBackend, self.tenancy_id, self.region.name)

    def get_function(self) -> ApiResponse:
        function = self.backend.get_function(self.param("functionId"))
        return self.json(function.to_json(), etag=function.etag)

    def invoke_function(self) -> ApiResponse:
        function = self.backend.get_function(self.param("functionId"))
        if self.request.host != function.invoke_host:
            # another function's invoke endpoint: the function is not known there
            raise NotAuthorizedOrNotFound(f"Function {function.id} is not served at this invoke endpoint.")
        invoke_type = self.request.headers.get("fn-invoke-type", "sync").lower()
        if invoke_type not in ("sync", "detached"):
            raise InvalidParameter("Invalid value for 'fn-invoke-type': must be sync or detached.")
        detached = invoke_type == "detached"
        self.backend.invoke(function.id, detached, self.request.body, dict(self.request.headers))
        socket_path = None if detached else function.socket_path
        if socket_path is not None:
            body, content_type = self.request.body, self.request.headers.get("content-type")
            return ApiResponse(after_lock=lambda: forward(socket_path, body, content_type))
        return ApiResponse(status=202 if detached else 200, raw=b"")
