"""Functions invoke routes, served only on a function's own invokeEndpoint host (``fn-{key}``)."""

from __future__ import annotations

from .responses import FunctionsResponse

response_class = FunctionsResponse

url_paths: dict[str, dict[str, tuple[str, str]]] = {
    f"/{version}/functions/{{functionId}}/actions/invoke": {"POST": ("InvokeFunction", "invoke_function")}
    for version in ("20181201", "20260325")
}
