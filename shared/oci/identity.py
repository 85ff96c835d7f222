"""Identity: the compartments under a compartment (for sweeps that include children), the regions the
tenancy has enabled."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from shared.oci.client import OciClient, OciRequest
from shared.oci.endpoints import Service
from shared.oci.models import OciModel, State
from shared.oci.retry import NO_DEADLINE, Deadline


class Compartment(OciModel):
    id: str
    name: str
    compartment_id: str
    lifecycle_state: State


def child_compartments(
    client: OciClient, region: str, parent_id: str, deadline: Deadline = NO_DEADLINE
) -> Iterator[Compartment]:
    """Direct children of ``parent_id`` that are ACTIVE."""
    params: dict[str, str | int | bool | None] = {
        "compartmentId": parent_id,
        "lifecycleState": "ACTIVE",
        "limit": 100,
    }
    request = OciRequest(
        "ListCompartments", "GET", Service.IDENTITY, region, "/compartments", params, deadline=deadline
    )
    for item in client.paginate(request):
        compartment = Compartment.model_validate(item)
        if compartment.lifecycle_state == "ACTIVE":
            yield compartment


def compartment_tree(client: OciClient, region: str, roots: list[str], deadline: Deadline = NO_DEADLINE) -> list[str]:
    """``roots`` and every ACTIVE compartment below them, breadth first, each once."""
    seen: list[str] = []
    queue = deque(roots)
    while queue:
        current = queue.popleft()
        if current in seen:
            continue
        seen.append(current)
        queue.extend(child.id for child in child_compartments(client, region, current, deadline))
    return seen


class RegionSubscription(OciModel):
    region_name: str
    status: str = ""


def subscribed_regions(client: OciClient, region: str, tenancy_id: str, deadline: Deadline = NO_DEADLINE) -> list[str]:
    """The regions the tenancy has enabled and ready (ListRegionSubscriptions)."""
    request = OciRequest(
        "ListRegionSubscriptions",
        "GET",
        Service.IDENTITY,
        region,
        f"/tenancies/{tenancy_id}/regionSubscriptions",
        deadline=deadline,
    )
    answered = client.call(request).data or []
    subscriptions = [RegionSubscription.model_validate(item) for item in answered]
    return [s.region_name for s in subscriptions if s.status in ("", "READY")]
