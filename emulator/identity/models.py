"""Compartments of a tenancy; the backend is tenancy-wide (region ``GLOBAL``)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from ..core.clock import rfc3339
from ..core.exceptions import InvalidParameter, NotAuthorizedOrNotFound
from ..core.ids import new_ocid
from ..core.state import BaseBackend, World


@dataclass
class Compartment:
    id: str
    name: str
    parent_id: str
    time_created: float
    seq: int
    description: str = ""
    lifecycle_state: str = "ACTIVE"
    freeform_tags: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "compartmentId": self.parent_id,
            "description": self.description,
            "lifecycleState": self.lifecycle_state,
            "timeCreated": rfc3339(self.time_created),
            "freeformTags": dict(self.freeform_tags),
            "definedTags": {},
        }


class IdentityBackend(BaseBackend):
    def __init__(self, world: World, tenancy_id: str, region: str) -> None:
        super().__init__(world, tenancy_id, region)
        self.compartments: dict[str, Compartment] = {}
        self._seq = itertools.count(1)

    def create_compartment(self, name: str, parent_id: str | None = None, description: str = "") -> Compartment:
        parent = parent_id or self.tenancy_id
        if parent != self.tenancy_id and parent not in self.compartments:
            raise NotAuthorizedOrNotFound(f"Parent compartment {parent} not found.")
        if any(c.name == name and c.parent_id == parent for c in self.compartments.values()):
            raise InvalidParameter(f"A compartment named {name!r} already exists in {parent}.")
        compartment = Compartment(
            id=new_ocid("compartment", None),
            name=name,
            parent_id=parent,
            time_created=self.world.clock.now(),
            seq=next(self._seq),
            description=description,
        )
        self.compartments[compartment.id] = compartment
        return compartment

    def exists(self, compartment_id: str) -> bool:
        return compartment_id == self.tenancy_id or compartment_id in self.compartments

    def compartment_name(self, compartment_id: str) -> str:
        found = self.compartments.get(compartment_id)
        return found.name if found else ""

    def children(self, parent_id: str, subtree: bool) -> list[Compartment]:
        if not subtree:
            return [c for c in self.compartments.values() if c.parent_id == parent_id]
        return list(self.compartments.values())  # subtree is only allowed from the tenancy
