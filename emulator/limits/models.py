"""The usage and availability of a limit, computed from the emulator's own resources.

What OCI says (the Go SDK's docs of GetResourceAvailability and ResourceAvailability, OCI's Service
Limits and Block Volume quota pages):

* ``GET /20190729/services/{serviceName}/limits/{limitName}/resourceAvailability?compartmentId=...``;
  ``compartmentId`` is required; ``availabilityDomain`` is required for a limit of AD scope and must be
  left out otherwise (400 ``InvalidParameter``);
* the answer: ``used`` (rounded up), ``available`` (rounded down), ``fractionalUsage``,
  ``fractionalAvailability``, ``effectiveQuotaValue`` (only when a quota applies); a limit without such
  figures is answered 404;
* Block Volume's ``backup-count`` ("total number of block and boot volume backups") is regional;
* the caller needs ``read resource-availability`` in the compartment it asks about.

Modelled here:

* one limit, ``block-storage`` / ``backup-count``, of value ``backup_count_limit`` (setting, default
  100,000: OCI's default backup limit); ``used`` counts the tenancy's volume and boot volume backups in the
  region that are not TERMINATED, whoever made them, the member backups of volume group backups included;
* ``available`` = limit - the tenancy's usage (never below 0), whatever compartment is asked;
  ``effectiveQuotaValue`` never (no quotas modelled).

Assumptions (OCI does not say; named so tests can find them):

* A volume group backup counts through its member backups only (they are volume and boot volume
  backups), not once more as a group backup.
* A compartment other than the tenancy answers the usage of that compartment and every compartment
  below it; a compartment the tenancy does not have is 404 ``NotAuthorizedOrNotFound``.
* Another service or limit name is 404 ``NotAuthorizedOrNotFound`` naming it (OCI: "404" for a limit
  without figures; the code is not documented).
* The permission is modelled per tenancy, like the tag-namespace grants: nothing is granted by default
  (a deployment without the ``read resource-availability`` statement), the control API grants it
  (``POST /_emulator/resource-availability``); without it every call is 404 ``NotAuthorizedOrNotFound``.
* Creates are not refused at the limit here (``LimitExceeded`` is not modelled for backups): the figure
  is reported, not enforced.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from ..blockstorage.models import BlockstorageBackend
from ..blockstorage.resources import TERMINATED
from ..core.exceptions import InvalidParameter, NotAuthorizedOrNotFound
from ..core.state import GLOBAL, World
from ..identity.models import IdentityBackend

BLOCK_STORAGE: Final = "block-storage"
BACKUP_COUNT: Final = "backup-count"
LIMITS: Final = {BLOCK_STORAGE: {BACKUP_COUNT}}


class Availability(NamedTuple):
    used: int
    available: int

    def to_json(self) -> dict[str, float | int]:
        return {
            "used": self.used,
            "available": self.available,
            "fractionalUsage": float(self.used),
            "fractionalAvailability": float(self.available),
        }


def resource_availability(
    world: World,
    tenancy_id: str,
    region: str,
    service_name: str,
    limit_name: str,
    compartment_id: str,
    availability_domain: str | None,
) -> Availability:
    """The answer of GetResourceAvailability, or the OCI error that refuses it."""
    if tenancy_id not in world.resource_availability_grants:
        raise NotAuthorizedOrNotFound(
            "Authorization failed or requested resource not found (no read resource-availability grant)."
        )
    if limit_name not in LIMITS.get(service_name, set()):
        raise NotAuthorizedOrNotFound(f"No resource availability for limit {limit_name!r} of service {service_name!r}.")
    if availability_domain is not None:
        raise InvalidParameter(
            f"Invalid value for 'availabilityDomain': {limit_name} is a regional limit; leave availabilityDomain out."
        )
    identity = world.backend(IdentityBackend, tenancy_id, GLOBAL)
    if not identity.exists(compartment_id):
        raise NotAuthorizedOrNotFound(f"Compartment {compartment_id} not found.")
    storage = world.backend(BlockstorageBackend, tenancy_id, region)
    live = [b for b in storage.backups.values() if b.lifecycle_state != TERMINATED]
    limit = world.settings.backup_count_limit
    available = max(0, limit - len(live))
    if compartment_id == tenancy_id:
        return Availability(len(live), available)
    below = _subtree(identity, compartment_id)
    return Availability(sum(1 for b in live if b.compartment_id in below), available)


def _subtree(identity: IdentityBackend, root: str) -> set[str]:
    found = {root}
    grew = True
    while grew:
        more = {c.id for c in identity.compartments.values() if c.parent_id in found} - found
        found |= more
        grew = bool(more)
    return found
