"""Identity operations: ListCompartments, GetCompartment, ListRegions, ListRegionSubscriptions,
ListAvailabilityDomains (assumption: three per region, named like the Block Volume backend's
``Uocm:US-ASHBURN-AD-1``; any compartment of the tenancy may be asked)."""

from __future__ import annotations

from operator import attrgetter

from ..core.clock import rfc3339
from ..core.exceptions import InvalidParameter, NotAuthorizedOrNotFound
from ..core.listing import lifecycle_filter, paginate
from ..core.regions import regions_of_realm
from ..core.responses import ApiResponse, BaseResponse
from ..core.state import GLOBAL
from .models import IdentityBackend

COMPARTMENT_STATES = frozenset({"CREATING", "ACTIVE", "INACTIVE", "DELETING", "DELETED"})


def _bool(name: str, raw: str | None) -> bool:
    if raw is None or raw == "":
        return False
    if raw.lower() not in ("true", "false"):
        raise InvalidParameter(f"Invalid value for '{name}': must be true or false.")
    return raw.lower() == "true"


class IdentityResponse(BaseResponse):
    @property
    def backend(self) -> IdentityBackend:
        return self.world.backend(IdentityBackend, self.tenancy_id, GLOBAL)

    def list_compartments(self) -> ApiResponse:
        q = self.request.query
        parent = self.query("compartmentId", required=True)
        assert parent is not None
        subtree = _bool("compartmentIdInSubtree", q.get("compartmentIdInSubtree"))
        backend = self.backend
        if not backend.exists(parent):
            raise NotAuthorizedOrNotFound()
        if subtree and parent != self.tenancy_id:
            raise InvalidParameter(
                "Invalid value for 'compartmentIdInSubtree': true is only allowed when compartmentId is the tenancy."
            )
        state = lifecycle_filter(q, COMPARTMENT_STATES)
        name = q.get("name")
        items = [
            c
            for c in backend.children(parent, subtree)
            if (state is None or c.lifecycle_state == state) and (name is None or c.name == name)
        ]
        sort_keys = {"TIMECREATED": attrgetter("time_created"), "NAME": attrgetter("name")}
        page, next_page = paginate(items, q, attrgetter("seq"), sort_keys, default_sort="NAME")
        headers = {"opc-next-page": next_page} if next_page else {}
        return ApiResponse(body=[c.to_json() for c in page], headers=headers)

    def get_compartment(self) -> ApiResponse:
        compartment_id = self.param("compartmentId")
        if compartment_id == self.tenancy_id:
            root = {
                "id": self.tenancy_id,
                "name": "root",
                "compartmentId": self.tenancy_id,
                "description": "The root compartment (tenancy).",
                "lifecycleState": "ACTIVE",
                "timeCreated": rfc3339(0),
                "freeformTags": {},
                "definedTags": {},
            }
            return self.json(root)
        found = self.backend.compartments.get(compartment_id)
        if found is None:
            raise NotAuthorizedOrNotFound()
        return self.json(found.to_json())

    def _subscribed(self) -> list[str]:
        subscribed = self.world.settings.subscribed_regions
        realm = regions_of_realm(self.region.realm)
        return [r.name for r in realm] if subscribed is None else list(subscribed)

    def list_regions(self) -> ApiResponse:
        return self.json([{"key": r.key, "name": r.name} for r in regions_of_realm(self.region.realm)])

    def list_availability_domains(self) -> ApiResponse:
        compartment_id = self.query("compartmentId", required=True)
        prefix = self.region.name.rsplit("-", 1)[0].upper()
        body = [
            {"name": f"Uocm:{prefix}-AD-{n}", "id": f"ocid1.availabilitydomain.oc1..{prefix.lower()}{n}",
             "compartmentId": compartment_id}
            for n in (1, 2, 3)
        ]  # fmt: skip
        return self.json(body)

    def list_region_subscriptions(self) -> ApiResponse:
        if self.param("tenancyId") != self.tenancy_id:
            raise NotAuthorizedOrNotFound()
        keys = {r.name: r.key for r in regions_of_realm(self.region.realm)}
        home = self.world.settings.home_region
        body = [
            {"regionKey": keys.get(name, ""), "regionName": name, "status": "READY", "isHomeRegion": name == home}
            for name in self._subscribed()
        ]
        return self.json(body)
