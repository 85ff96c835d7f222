"""Identity routes."""

from __future__ import annotations

from .responses import IdentityResponse

response_class = IdentityResponse
V = "/20160918"

url_paths: dict[str, dict[str, tuple[str, str]]] = {
    f"{V}/compartments": {"GET": ("ListCompartments", "list_compartments")},
    f"{V}/compartments/{{compartmentId}}": {"GET": ("GetCompartment", "get_compartment")},
    f"{V}/regions": {"GET": ("ListRegions", "list_regions")},
    f"{V}/availabilityDomains": {"GET": ("ListAvailabilityDomains", "list_availability_domains")},
    f"{V}/tenancies/{{tenancyId}}/regionSubscriptions": {
        "GET": ("ListRegionSubscriptions", "list_region_subscriptions")
    },
}
