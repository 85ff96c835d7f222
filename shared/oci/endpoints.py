"""Where each OCI service lives, per region and realm, or under ``OCI_ENDPOINT_TEMPLATE``."""

from enum import Enum
from typing import NamedTuple

from shared.oci.regions import REALM_DOMAINS, realm_of


class ServiceSpec(NamedTuple):
    host_prefix: str  # first label of the host name
    version: str  # API version path
    oci_subdomain: bool = False  # identity, functions and limits live under `.oci.` (<svc>.<region>.oci.<domain>)


class Service(Enum):
    BLOCKSTORAGE = ServiceSpec("iaas", "20160918")
    NOTIFICATIONS = ServiceSpec("notification", "20181201")
    IDENTITY = ServiceSpec("identity", "20160918", oci_subdomain=True)
    FUNCTIONS = ServiceSpec("functions", "20181201", oci_subdomain=True)
    # Monitoring's PostMetricData has its own host: `telemetry` -> `telemetry-ingestion`.
    TELEMETRY_INGESTION = ServiceSpec("telemetry-ingestion", "20180401")
    # Limits (GetResourceAvailability): limits.{region}.oci.{domain} (the SDKs' endpoint template)
    LIMITS = ServiceSpec("limits", "20190729", oci_subdomain=True)


def service_endpoint(service: Service, region: str, template: str | None = None) -> str:
    """The base URL including the version path, e.g. ``https://iaas.us-ashburn-1.oraclecloud.com/20160918``.

    With ``template`` (``OCI_ENDPOINT_TEMPLATE``, e.g. ``http://127.0.0.1:8123/{service}/{region}``) each
    service of each region is reached under that prefix (``{service}``: the host's first label, e.g.
    ``iaas``), followed by the service's version path; a template without ``{service}`` puts every
    service under one prefix. A function's invoke endpoint and a topic's publish endpoint are not
    regional: they come from GetFunction / GetTopic (``functions.py``, ``notifications.py``).
    """
    spec = service.value
    if template:
        base = template.format(region=region, service=spec.host_prefix).rstrip("/")
    else:
        domain = REALM_DOMAINS[realm_of(region)]
        middle = "oci." if spec.oci_subdomain else ""
        base = f"https://{spec.host_prefix}.{region}.{middle}{domain}"
    return f"{base}/{spec.version}"
