"""The rules of a recovery plan (pure, no I/O): which backup restores each source at a point in time.

Input: the backups of one region in scope, each traced to its source. A backup taken in the region
counts as it is; a copy (it names the backup it was copied from) counts only when the tool made it
(its ``backup-source-id`` tag is that backup) and is traced to its source through its own source id
(``volumeId`` / ``bootVolumeId`` / ``volumeGroupId``, when OCI keeps it on a copy) or, failing that,
through the backup it was copied from when that backup's source is known (``origin``).

For each source: the newest AVAILABLE backup taken at or before the point in time. A volume that is a
member of the backup its group has at that point is restored with the group (crash-consistent), not
on its own; any other volume from its own newest backup (a member backup of an older group backup
included). A source whose backups are all newer than the point, or none AVAILABLE, is named with the
reason; never dropped.

The plan's id is a digest of what it would do (region, target, availability domain, and per source
the backup and what is created): the point in time itself is not in it, so a plan computed again
later is the same plan unless a newer backup arrived or a source's backups changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final, NamedTuple

from shared.oci.blockstorage import BackupKind
from shared.oci.models import BackupBase, LifecycleState
from shared.rules.tags import SOURCE_KEY

RECOVERED_FROM_SOURCE: Final = "recovered-from-source"
RECOVERED_FROM_BACKUP: Final = "recovered-from-backup"
RECOVERY_PLAN: Final = "recovery-plan"
TAGS: Final = ("RECOVERED_FROM_SOURCE", "RECOVERED_FROM_BACKUP", "RECOVERY_PLAN")  # every tag a recovery writes
PLAN_ID_LENGTH: Final = 40
CREATES: Final = {
    BackupKind.VOLUME: "volume",
    BackupKind.BOOT_VOLUME: "bootVolume",
    BackupKind.VOLUME_GROUP: "volumeGroup",
}

NONE_AVAILABLE: Final = "no AVAILABLE backup"
ALL_NEWER: Final = "every AVAILABLE backup was taken after the point in time"


class Candidate(NamedTuple):
    """One backup in the region, traced to its source."""

    backup_id: str
    kind: BackupKind
    source_id: str
    name: str  # the backup's display name (a source's name is read from its backups: the source may be lost)
    taken: datetime  # when the backup was taken (a copy keeps its original's ``timeCreated``)
    state: str
    size_in_gbs: int | None = None
    group_backup_id: str | None = None  # a volume backup that is a member of this group backup
    member_backup_ids: tuple[str, ...] = ()  # a volume group backup's member backups

    @property
    def available(self) -> bool:
        return self.state == LifecycleState.AVAILABLE


class Member(NamedTuple):
    """A volume restored with its group: the volume and its member backup in the group backup."""

    source_id: str
    backup_id: str
    size_in_gbs: int | None


class Restore(NamedTuple):
    """One resource the plan creates: from ``backup_id``, a new ``kind`` for ``source_id``."""

    source_id: str
    kind: BackupKind
    name: str
    backup_id: str
    taken: datetime
    size_in_gbs: int | None
    members: tuple[Member, ...] = ()  # a volume group's volumes

    @property
    def creates(self) -> str:
        return CREATES[self.kind]

    def recovery_point_seconds(self, point_in_time: datetime) -> float:
        """The achieved recovery point: how much before the point in time the backup was taken."""
        return max(0.0, (point_in_time - self.taken).total_seconds())


class Unusable(NamedTuple):
    source_id: str
    kind: BackupKind
    name: str
    reason: str


class Plan(NamedTuple):
    region: str
    point_in_time: datetime
    target_compartment_id: str
    availability_domain: str | None
    restores: tuple[Restore, ...]
    unusable: tuple[Unusable, ...]

    @property
    def plan_id(self) -> str:
        return plan_id(self)

    @property
    def total_gbs(self) -> int:
        return sum(restore_size(r) for r in self.restores)

    def counts(self) -> dict[str, int]:
        """How many of each resource the plan creates (a group's volumes counted as volumes too)."""
        counts = {word: 0 for word in CREATES.values()}
        for restore in self.restores:
            counts[restore.creates] += 1
            counts["volume"] += len(restore.members)
        return counts

    def worst_recovery_point_seconds(self) -> float | None:
        points = [r.recovery_point_seconds(self.point_in_time) for r in self.restores]
        return max(points) if points else None

    def by_source(self) -> dict[str, Restore]:
        """Source id -> the restore that brings it back (a group's volumes map to the group's restore)."""
        found: dict[str, Restore] = {}
        for restore in self.restores:
            found[restore.source_id] = restore
            for member in restore.members:
                found[member.source_id] = restore
        return found


def restore_size(restore: Restore) -> int:
    """GB the restore creates: a group's members' sizes (its own when the members say nothing)."""
    members = sum(m.size_in_gbs or 0 for m in restore.members)
    return members or (restore.size_in_gbs or 0)


# ---- tracing a backup to its source ------------------------------------------------------------


def is_tool_copy(backup: BackupBase) -> bool:
    """A copy the tool made and tagged: its ``backup-source-id`` is the backup it was copied from."""
    return bool(backup.copied_from) and backup.freeform_tags.get(SOURCE_KEY) == backup.copied_from


def traced_source(backup: BackupBase, origin: Mapping[str, str], groups: Collection[str] = ()) -> str | None:
    """The source a backup of the region restores: its own source id, or (a copy) its original's.
    A copy someone else made is not traced (None); a member copy of one of the tool's group copies
    (``groups``) counts as the tool's."""
    if backup.copied_from and not is_tool_copy(backup) and (backup.group_backup_id or "") not in groups:
        return None
    if backup.source_id:
        return backup.source_id
    return origin.get(backup.copied_from or "")


def candidate(kind: BackupKind, backup: BackupBase, source_id: str) -> Candidate:
    size = getattr(backup, "size_in_gbs", None)
    return Candidate(
        backup_id=backup.id,
        kind=kind,
        source_id=source_id,
        name=backup.display_name or backup.id,
        taken=backup.time_created,
        state=str(backup.lifecycle_state),
        size_in_gbs=int(size) if size is not None else None,
        group_backup_id=backup.group_backup_id,
        member_backup_ids=tuple(getattr(backup, "volume_backup_ids", ()) or ()),
    )


def candidates(
    kind: BackupKind, backups: Iterable[BackupBase], origin: Mapping[str, str], groups: Collection[str] = ()
) -> list[Candidate]:
    """The backups of one kind that trace to a source (the others cannot restore a known source);
    ``groups``: the group backups already traced (their member copies count)."""
    found = []
    for backup in backups:
        source = traced_source(backup, origin, groups)
        if source:
            found.append(candidate(kind, backup, source))
    return found


# ---- the plan -------------------------------------------------------------------------------------


def newest_at(backups: Iterable[Candidate], point_in_time: datetime) -> Candidate | None:
    usable = [b for b in backups if b.available and b.taken <= point_in_time]
    return max(usable, key=lambda b: (b.taken, b.backup_id)) if usable else None


def why_unusable(backups: Sequence[Candidate], point_in_time: datetime) -> str:
    if not any(b.available for b in backups):
        return NONE_AVAILABLE
    return ALL_NEWER


def oldest_kept(backups: Iterable[Candidate]) -> datetime | None:
    """When the oldest AVAILABLE backup in scope was taken (a point in time before it restores nothing)."""
    times = [b.taken for b in backups if b.available]
    return min(times) if times else None


def plan(
    backups: Sequence[Candidate],
    point_in_time: datetime,
    *,
    region: str,
    target_compartment_id: str,
    availability_domain: str | None = None,
) -> Plan:
    """The recovery plan of the sources these backups trace to, at ``point_in_time``."""
    by_source: dict[tuple[BackupKind, str], list[Candidate]] = {}
    for backup in backups:
        by_source.setdefault((backup.kind, backup.source_id), []).append(backup)
    by_id = {b.backup_id: b for b in backups}
    restores: list[Restore] = []
    unusable: list[Unusable] = []
    with_group: set[str] = set()
    ordered = sorted(by_source.items(), key=lambda entry: (entry[0][0].word, entry[0][1]))
    for (kind, source), found in ordered:
        if kind is not BackupKind.VOLUME_GROUP:
            continue
        chosen = newest_at(found, point_in_time)
        if chosen is None:
            unusable.append(Unusable(source, kind, _name(found), why_unusable(found, point_in_time)))
            continue
        members = _members(chosen, backups, by_id)
        with_group.update(m.source_id for m in members)
        restores.append(_restore(chosen, members))
    for (kind, source), found in ordered:
        if kind is BackupKind.VOLUME_GROUP or source in with_group:
            continue
        chosen = newest_at(found, point_in_time)
        if chosen is None:
            unusable.append(Unusable(source, kind, _name(found), why_unusable(found, point_in_time)))
            continue
        restores.append(_restore(chosen, ()))
    return Plan(
        region=region,
        point_in_time=point_in_time,
        target_compartment_id=target_compartment_id,
        availability_domain=availability_domain,
        restores=tuple(sorted(restores, key=lambda r: (r.kind.word, r.name, r.source_id))),
        unusable=tuple(sorted(unusable, key=lambda u: (u.kind.word, u.name, u.source_id))),
    )


def _members(group: Candidate, backups: Sequence[Candidate], by_id: Mapping[str, Candidate]) -> tuple[Member, ...]:
    """The group backup's member volume backups, by its ``volumeBackupIds`` or their ``volumeGroupBackupId``."""
    listed = [by_id[i] for i in group.member_backup_ids if i in by_id]
    pointing = [b for b in backups if b.group_backup_id == group.backup_id and b.kind is BackupKind.VOLUME]
    found = {b.backup_id: b for b in (*listed, *pointing)}
    return tuple(
        sorted((Member(b.source_id, b.backup_id, b.size_in_gbs) for b in found.values()), key=lambda m: m.source_id)
    )


def _restore(chosen: Candidate, members: tuple[Member, ...]) -> Restore:
    return Restore(
        source_id=chosen.source_id,
        kind=chosen.kind,
        name=chosen.name,
        backup_id=chosen.backup_id,
        taken=chosen.taken,
        size_in_gbs=chosen.size_in_gbs,
        members=members,
    )


def _name(found: Sequence[Candidate]) -> str:
    """A source's name: its newest backup's."""
    return max(found, key=lambda b: (b.taken, b.backup_id)).name


# ---- the plan's id and the retry tokens ----------------------------------------------------------


def plan_content(plan: Plan) -> dict[str, object]:
    """What the plan would do, and nothing that changes with the clock."""
    return {
        "region": plan.region,
        "targetCompartmentId": plan.target_compartment_id,
        "availabilityDomain": plan.availability_domain,
        "restores": [
            [r.kind.word, r.source_id, r.backup_id, [[m.source_id, m.backup_id] for m in r.members]]
            for r in plan.restores
        ],
        "unusable": [[u.kind.word, u.source_id, u.reason] for u in plan.unusable],
    }


def plan_id(plan: Plan) -> str:
    canonical = json.dumps(plan_content(plan), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:PLAN_ID_LENGTH]


def recovery_token(plan_id: str, source_id: str) -> str:
    """The ``opc-retry-token`` of a source's create: the same plan and source always give the same token."""
    return hashlib.sha256(f"recovery#{plan_id}#{source_id}".encode()).hexdigest()[:64]


def recovery_tags(plan_id: str, restore: Restore) -> dict[str, str]:
    return {
        RECOVERED_FROM_SOURCE: restore.source_id,
        RECOVERED_FROM_BACKUP: restore.backup_id,
        RECOVERY_PLAN: plan_id,
    }


def is_recovery_of(freeform: Mapping[str, str], plan_id: str) -> str | None:
    """The source a resource was recovered for under ``plan_id`` (None: not one of this plan's)."""
    if freeform.get(RECOVERY_PLAN) != plan_id:
        return None
    return freeform.get(RECOVERED_FROM_SOURCE) or None


def recovery_point_text(seconds: float) -> str:
    """``3 h 12 min`` / ``2 d 4 h`` / ``45 s``: a recovery point a person reads."""
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
