"""Functions routes."""

from __future__ import annotations

from .responses import FunctionsResponse

response_class = FunctionsResponse

url_paths: dict[str, dict[str, tuple[str, str]]] = {
    "/20181201/functions/{functionId}/actions/invoke": {"POST": ("InvokeFunction", "invoke_function")},
}
