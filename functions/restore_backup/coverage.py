"""Which resources need a restore test, from the listings a run makes anyway: the sources in scope, and
their backups in every region of RESTORE_REGIONS (copies in a DR region found through the backup they
were copied from). One entry per (resource, region): a resource is restore-verified when every one of
its regions holds a backup whose recorded restore test passed within VERIFY_EVERY_DAYS.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import NamedTuple

from functions.restore_backup.settings import RestoreBackupSettings
from shared.oci.blockstorage import BackupKind, BlockStorage
from shared.oci.models import BackupBase, LifecycleState, Tagged
from shared.rules import restore as rules


class Source(NamedTuple):
    kind: BackupKind
    resource: Tagged
    availability_domain: str | None


class Unit(NamedTuple):
    """One resource in one region: its AVAILABLE backups there and the newest recorded result."""

    source: Source
    region: str
    backups: list[BackupBase]
    last: rules.LastResult | None

    @property
    def name(self) -> str:
        return self.source.resource.display_name or self.source.resource.id


def list_sources(storage: BlockStorage, settings: RestoreBackupSettings, compartments: Iterable[str]) -> list[Source]:
    """AVAILABLE sources in scope (SELECTOR, BACKUP_KINDS), never a test restore itself. A volume in a
    volume group is tested with its group when volume groups are in scope."""
    groups_in_scope = BackupKind.VOLUME_GROUP in settings.kinds
    found: list[Source] = []
    for compartment in compartments:
        if compartment == settings.restore_compartment_id:
            continue
        for kind in settings.kinds:
            for resource in storage.list_sources(kind, compartment):
                assert isinstance(resource, Tagged)
                if resource.lifecycle_state != LifecycleState.AVAILABLE:
                    continue
                if rules.is_test_restore(
                    resource.compartment_id, resource.freeform_tags, settings.restore_compartment_id
                ):
                    continue
                if settings.selector and not settings.selector.matches(resource.freeform_tags, resource.defined_tags):
                    continue
                if groups_in_scope and getattr(resource, "volume_group_id", None):
                    continue
                found.append(Source(kind, resource, getattr(resource, "availability_domain", None)))
    return found


def list_units(
    home: BlockStorage, storage_in: Callable[[str], BlockStorage], sources: list[Source], regions: list[str]
) -> list[Unit]:
    """One unit per (source, region of ``regions``): one backup listing per (compartment, kind, region)."""
    pairs = list(dict.fromkeys((s.resource.compartment_id, s.kind) for s in sources))
    home_backups = _listing(home, pairs)
    source_of = {b.id: b.source_id for b in home_backups if b.source_id}
    units: list[Unit] = []
    by_region: dict[str, dict[str, list[BackupBase]]] = {}
    for region in regions:
        listing = home_backups if region == home.region else _listing(storage_in(region), pairs)
        grouped: dict[str, list[BackupBase]] = {}
        for backup in listing:
            if backup.lifecycle_state != LifecycleState.AVAILABLE:
                continue
            origin = source_of.get(backup.copied_from or "") if region != home.region else None
            source_id = origin or backup.source_id
            if source_id:
                grouped.setdefault(source_id, []).append(backup)
        by_region[region] = grouped
    for source in sources:
        for region in regions:
            backups = by_region[region].get(source.resource.id, [])
            last = rules.newest_result([b.freeform_tags for b in backups])
            units.append(Unit(source, region, backups, last))
    return units


def _listing(storage: BlockStorage, pairs: list[tuple[str, BackupKind]]) -> list[BackupBase]:
    found: list[BackupBase] = []
    for compartment, kind in pairs:
        found.extend(storage.list_backups(kind, compartment, limit=1000))
    return found


def due_units(units: list[Unit], now: datetime, days: int, in_flight: set[str]) -> list[Unit]:
    """Units not verified within ``days`` that have a backup and no test restore in flight, least
    recently verified first (never verified before any)."""
    due = [
        u
        for u in units
        if u.backups
        and not rules.is_verified_within(u.last, now, days)
        and not any(b.id in in_flight for b in u.backups)
    ]
    return sorted(due, key=lambda u: (u.last is not None, u.last.at if u.last else now, u.name))


def backup_size(backup: BackupBase) -> int:
    size = getattr(backup, "size_in_gbs", None)
    return int(size) if size else 0
