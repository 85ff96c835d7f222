"""State and shared helpers of the Block Volume backend (the mixins in volumes/backups/copies add operations)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, Self

from ..core.exceptions import IncorrectState, NotAuthorizedOrNotFound
from ..core.idempotency import RetryTokenStore
from ..core.ids import new_ocid
from ..core.lifecycle import Stage, schedule
from ..core.regions import Region, find_region
from ..core.state import GLOBAL, BaseBackend, World
from ..events import SUCCEEDED, make_event
from ..identity.models import IdentityBackend
from .resources import (
    AVAILABLE,
    COMMITTED,
    CREATING,
    IN_PROGRESS,
    REQUEST_RECEIVED,
    Backup,
    BackupKind,
    BootVolume,
    GroupBackup,
    Resource,
    Volume,
    VolumeGroup,
    WorkRequest,
)


class BlockstorageBase(BaseBackend):
    def __init__(self, world: World, tenancy_id: str, region: str) -> None:
        super().__init__(world, tenancy_id, region)
        found = find_region(region)
        assert found is not None, region
        self.region_info: Region = found
        self.volumes: dict[str, Volume] = {}
        self.boot_volumes: dict[str, BootVolume] = {}
        self.volume_groups: dict[str, VolumeGroup] = {}
        self.backups: dict[str, Backup] = {}  # volume and boot volume backups
        self.group_backups: dict[str, GroupBackup] = {}
        self.work_requests: dict[str, WorkRequest] = {}
        self.busy_sources: dict[str, str] = {}  # volume / boot volume id -> backup in progress
        self.copies_in_flight: set[str] = set()  # volume + group copies made from this region
        self.boot_copies_in_flight: dict[str, str] = {}  # boot volume id -> copy in flight
        self.retry_tokens = RetryTokenStore()
        self._seq = itertools.count(1)
        self._backups_by_place: dict[tuple[BackupKind, str], list[Backup]] = {}  # (kind, compartment) -> backups
        self._backups_placed = 0  # how many of ``backups`` (in insertion order) the index holds

    def backups_in(self, kind: BackupKind, compartment_id: str) -> list[Backup]:
        """The backups of a kind in a compartment, from an index kept as backups are added (a region's
        ``backups`` only grows, deleted ones stay TERMINATED, and a backup never changes compartment): a
        list call costs the compartment's backups, not the region's. Called under the world's lock."""
        if self._backups_placed < len(self.backups):
            for backup in itertools.islice(self.backups.values(), self._backups_placed, None):
                self._backups_by_place.setdefault((backup.kind, backup.compartment_id), []).append(backup)
            self._backups_placed = len(self.backups)
        return list(self._backups_by_place.get((kind, compartment_id), ()))

    # ---- helpers -------------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.world.clock.now()

    def next_seq(self) -> int:
        return next(self._seq)

    def purged(self, res: Resource) -> bool:
        """Deleted and purged: TERMINATED for ``purged_after`` seconds (its retry tokens are invalidated)."""
        return res.time_terminated is not None and self.now - res.time_terminated >= self.world.settings.purged_after

    def default_ad(self) -> str:
        """``Uocm:US-ASHBURN-AD-1`` for us-ashburn-1."""
        return f"Uocm:{self.region.rsplit('-', 1)[0].upper()}-AD-1"

    def other(self, region: str) -> Self:
        """This tenancy's backend in another region (copies write there)."""
        return self.world.backend(type(self), self.tenancy_id, region)

    def emit(self, event_type: str, res: Resource, details: dict[str, Any], at: float, ad: str = "") -> None:
        identity = self.world.backend(IdentityBackend, self.tenancy_id, GLOBAL)
        envelope = make_event(
            event_type,
            resource_id=res.id,
            resource_name=res.display_name,
            compartment_id=res.compartment_id,
            freeform_tags=res.freeform_tags,
            defined_tags=res.defined_tags,
            additional_details=details,
            compartment_name=identity.compartment_name(res.compartment_id),
            event_time_ts=at,
            availability_domain=ad,
        )
        self.world.events.record({"region": self.region, "tenancyId": self.tenancy_id, "event": envelope})

    @staticmethod
    def _get(table: dict[str, Any], resource_id: str) -> Any:
        found = table.get(resource_id)
        if found is None:
            raise NotAuthorizedOrNotFound()
        return found

    def any_volume(self, volume_id: str) -> Volume:
        found = self.volumes.get(volume_id) or self.boot_volumes.get(volume_id)
        if found is None:
            raise NotAuthorizedOrNotFound(f"Volume {volume_id} not found.")
        return found

    def get_volume(self, volume_id: str) -> Volume:
        result: Volume = self._get(self.volumes, volume_id)
        return result

    def get_boot_volume(self, boot_volume_id: str) -> BootVolume:
        result: BootVolume = self._get(self.boot_volumes, boot_volume_id)
        return result

    def get_volume_group(self, group_id: str) -> VolumeGroup:
        result: VolumeGroup = self._get(self.volume_groups, group_id)
        return result

    # ---- backups -------------------------------------------------------------------------------------

    def _backup_details(self, res: Resource) -> dict[str, Any]:
        if isinstance(res, Backup):
            return {"volumeId": res.source_id, "sourceType": res.source_type}
        assert isinstance(res, GroupBackup)
        return {"volumeGroupId": res.volume_group_id, "sourceType": res.source_type}

    def _claim_source(self, source_id: str) -> None:
        busy = self.busy_sources.get(source_id)
        if busy is not None:
            raise IncorrectState(f"A backup of {source_id} is already in progress ({busy}).")

    def _release(self, source_id: str) -> Callable[[float], None]:
        def release(at: float) -> None:
            self.busy_sources.pop(source_id, None)

        return release

    def _lifecycle(
        self, res: Backup | GroupBackup, start: float, stages: list[Stage], on_available: Callable[[float], None]
    ) -> None:
        def enter(state: str, at: float) -> None:
            if res.lifecycle_state not in IN_PROGRESS:
                return
            res.lifecycle_state = state
            if state == AVAILABLE:
                on_available(at)

        schedule(self.world.scheduler, start, stages, enter)

    def _begin(
        self,
        res: Backup | GroupBackup,
        event: str,
        details: dict[str, Any],
        stages: list[Stage],
        settled: Callable[[float], None] | None = None,
    ) -> None:
        """A create or copy under way in this region: ``<event>.begin`` when the request arrived, then
        ``stages``; on AVAILABLE ``settled`` (a slot freed) and ``<event>.end`` (SUCCEEDED)."""
        start = res.time_request_received
        self.emit(f"{event}.begin", res, details, start)

        def available(at: float) -> None:
            if settled is not None:
                settled(at)
            self.emit(f"{event}.end", res, {**details, "status": SUCCEEDED}, at)

        self._lifecycle(res, start, stages, available)

    def _backup_stages(self, available_after: float) -> list[Stage]:
        return [Stage(CREATING, self.world.settings.creating_after), Stage(AVAILABLE, available_after)]

    def _group_stages(self, available_after: float) -> list[Stage]:
        """A volume group backup also passes through COMMITTED (its members' backups are taken)."""
        settings = self.world.settings
        return [
            Stage(CREATING, settings.creating_after),
            Stage(COMMITTED, settings.committed_after),
            Stage(AVAILABLE, available_after),
        ]

    def _fresh(self, ocid_type: str) -> dict[str, Any]:
        """The fields a backup record starts with in this region: a new id, REQUEST_RECEIVED now, its place
        in listings. A caller's fields override them (a copy keeps its source's ``time_created``)."""
        now = self.now
        return {
            "id": new_ocid(ocid_type, self.region_info),
            "lifecycle_state": REQUEST_RECEIVED,
            "time_created": now,
            "time_request_received": now,
            "seq": self.next_seq(),
        }

    def _new_backup(self, kind: BackupKind, source: Volume, **fields: Any) -> Backup:
        return Backup(
            **{
                **self._fresh(kind.ocid_type),
                "kind": kind,
                "source_id": source.id,
                "size_in_gbs": source.size_in_gbs,
                "image_id": source.image_id if isinstance(source, BootVolume) else None,
                "image_type": source.image_type if isinstance(source, BootVolume) else "platform",
                **fields,
            }
        )

    def _new_group_backup(self, **fields: Any) -> GroupBackup:
        return GroupBackup(**{**self._fresh("volumegroupbackup"), **fields})
