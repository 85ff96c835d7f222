"""Limits: GetResourceAvailability (``GET /20190729/services/{service}/limits/{limit}/resourceAvailability``).

On ``limits.{region}.oci.{domain}`` (the SDKs' endpoint template). ``compartmentId`` is required: the
tenancy for the tenancy's usage of a limit; ``availabilityDomain`` only for a limit of AD scope (OCI answers
400 ``InvalidParameter`` when it is given for another scope, or missing for an AD one). Every answer field
is optional: OCI says it cannot give the figures for every limit, and answers 404 where it has none.

The caller needs ``read resource-availability`` in the compartment it asks about (OCI's Service Limits
page: ListServices, ListLimitDefinitions and ListLimitValues need ``inspect`` in the tenancy,
GetResourceAvailability ``read`` in the compartment); without it OCI answers 404 ``NotAuthorizedOrNotFound``.
"""

from __future__ import annotations

from typing import Final

from shared.oci.client import OciClient, OciRequest
from shared.oci.endpoints import Service
from shared.oci.models import OciModel
from shared.oci.retry import NO_DEADLINE, Deadline, RetryPolicy

BLOCK_STORAGE: Final = "block-storage"
# "Total number of block and boot volume backups", regional scope (OCI's Block Volume quotas page)
BACKUP_COUNT: Final = "backup-count"


class ResourceAvailability(OciModel):
    """What OCI answers; any field may be absent. ``used`` rounds up, ``available`` rounds down."""

    used: int | None = None
    available: int | None = None
    fractional_usage: float | None = None
    fractional_availability: float | None = None
    effective_quota_value: float | None = None  # only when a quota policy applies
    opc_request_id: str | None = None


def resource_availability(
    client: OciClient,
    region: str,
    service_name: str,
    limit_name: str,
    compartment_id: str,
    *,
    availability_domain: str | None = None,
    deadline: Deadline = NO_DEADLINE,
    retry: RetryPolicy | None = None,
) -> ResourceAvailability:
    """GetResourceAvailability of one limit in ``compartment_id`` (the tenancy: the tenancy's usage)."""
    request = OciRequest(
        "GetResourceAvailability",
        "GET",
        Service.LIMITS,
        region,
        f"/services/{service_name}/limits/{limit_name}/resourceAvailability",
        {"compartmentId": compartment_id, "availabilityDomain": availability_domain},
        deadline=deadline,
        retry=retry,
    )
    response = client.call(request)
    answer = ResourceAvailability.model_validate(response.data or {})
    answer.opc_request_id = response.opc_request_id
    return answer
