"""Where each emulated service answers: one host-like path prefix per OCI host, so a call sent to
the wrong service's host is a 404, as in OCI.

    {base}/{host}/{region}/{version}/...

``host`` is the first label of the OCI host name (``iaas.{region}.oraclecloud.com`` -> ``iaas``), which
is what a client's ``OCI_ENDPOINT_TEMPLATE=http://127.0.0.1:8123/{service}/{region}`` puts there.
Per-resource hosts (a function's ``invokeEndpoint``, a topic's ``apiEndpoint``) are ``{prefix}-{key}``:
the key is the resource's own, and a resource's operation is refused on another resource's host.

The old layout ``{base}/{region}/...`` (one prefix for everything) still serves every regional
service, so an existing ``OCI_ENDPOINT_TEMPLATE={base}/{region}`` keeps working; the per-resource
operations (InvokeFunction, PublishMessage) are never served there.

To add a service: write its ``urls`` module (``response_class``, ``url_paths``) and add one
``ServiceHost`` line below.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from .blockstorage import urls as blockstorage_urls
from .compute import urls as compute_urls
from .core.exceptions import NotFound
from .core.routing import Route, Router
from .functions import invoke_urls as functions_invoke_urls
from .functions import urls as functions_urls
from .identity import urls as identity_urls
from .limits import urls as limits_urls
from .monitoring import urls as monitoring_urls
from .ons import publish_urls as ons_publish_urls
from .ons import urls as ons_urls

LEGACY = ""  # the host label of requests in the old {base}/{region}/... layout


@dataclass(frozen=True)
class ServiceHost:
    host: str  # first label of the OCI host name; for per-resource hosts the prefix of "{host}-{key}"
    urls: ModuleType  # response_class + url_paths
    per_resource: bool = False


SERVICE_HOSTS: tuple[ServiceHost, ...] = (
    ServiceHost("iaas", blockstorage_urls),  # iaas.{region}.oraclecloud.com
    ServiceHost("iaas", compute_urls),  # (Compute lives on the same Core host)
    ServiceHost("identity", identity_urls),  # identity.{region}.oci.oraclecloud.com
    ServiceHost("functions", functions_urls),  # functions.{region}.oci.oraclecloud.com (management)
    ServiceHost("notification", ons_urls),  # notification.{region}.oraclecloud.com (GetTopic)
    ServiceHost("telemetry-ingestion", monitoring_urls),  # telemetry-ingestion.{region}.oraclecloud.com
    ServiceHost("limits", limits_urls),  # limits.{region}.oci.oraclecloud.com
    ServiceHost("fn", functions_invoke_urls, per_resource=True),  # a function's invokeEndpoint
    ServiceHost("ons", ons_publish_urls, per_resource=True),  # a topic's apiEndpoint
)


def resource_host(prefix: str, key: str) -> str:
    """The host label of one resource's own endpoint, e.g. ``fn-abc123``."""
    return f"{prefix}-{key}"


class HostRouter:
    """Routes (host label, method, path) to an operation; unknown host or path -> 404 ``NotFound``."""

    def __init__(self, hosts: tuple[ServiceHost, ...] = SERVICE_HOSTS) -> None:
        by_host: dict[tuple[str, bool], list[ModuleType]] = {}
        for entry in hosts:
            by_host.setdefault((entry.host, entry.per_resource), []).append(entry.urls)
        self._regional = {
            host: _router(modules) for (host, per_resource), modules in by_host.items() if not per_resource
        }
        self._per_resource = {
            host: _router(modules) for (host, per_resource), modules in by_host.items() if per_resource
        }
        self._legacy = _router([entry.urls for entry in hosts if not entry.per_resource])

    def operations(self) -> set[str]:
        routers = [*self._regional.values(), *self._per_resource.values()]
        return {operation for router in routers for operation in router.operations()}

    def match(self, host: str, method: str, path: str) -> Route:
        if host == LEGACY:
            return self._legacy.match(method, path)
        router = self._regional.get(host)
        if router is None:
            prefix, dash, key = host.partition("-")
            router = self._per_resource.get(prefix) if dash and key else None
        if router is None:
            raise NotFound(f"No service at host {host!r}.")
        return router.match(method, path)


def _router(modules: list[ModuleType]) -> Router:
    return Router((module.response_class, module.url_paths) for module in modules)
