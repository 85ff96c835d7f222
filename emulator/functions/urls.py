"""Functions management routes (host ``functions``): the Go SDK v65 uses /20181201, the Python SDK
2.189.0 /20260325."""

from __future__ import annotations

from .responses import FunctionsResponse

response_class = FunctionsResponse

url_paths: dict[str, dict[str, tuple[str, str]]] = {
    f"/{version}/functions/{{functionId}}": {"GET": ("GetFunction", "get_function")}
    for version in ("20181201", "20260325")
}
