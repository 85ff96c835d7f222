"""Block Volume resources and their state, one ``BlockstorageBackend`` per tenancy and region.

Rules (the Block Volume API reference and the docs' Block Volume backup pages, and the emulator's own
choices where they are silent):

* Backups: REQUEST_RECEIVED -> CREATING (``creating_after``) -> AVAILABLE (``available_after``);
  group backups pass COMMITTED (``committed_after``) and their member backups follow the same clock.
* One backup in progress per volume / boot volume (409 ``IncorrectState``).
* Copies are made in the destination backend; the source backend counts those in flight
  (``max_copies_in_flight`` volume + volume-group copies per source region, one per boot volume).
* Events: ``create*backup.begin`` at creation, ``.end`` at AVAILABLE, ``copy*backup.begin/.end`` in the
  destination region, ``update*`` on updates, ``delete*.begin/.end`` on deletes. Member backups of a
  group backup emit no events of their own. Group copies emit ``copyvolumegroupbackup.begin/.end`` in
  the destination (assumption: the catalog lists no such type; modelled like the other copies); a group
  copy takes one slot of the copy pool, its member copies none.
* Locks (retention lock, prevent deletion, legal hold): see ``locks.py`` for the rules and assumptions.
* Restores (CreateVolume / CreateBootVolume / CreateVolumeGroup from backups) and volume deletes: see
  ``restores.py`` for the rules and assumptions.
"""

from __future__ import annotations

from .backups import BackupsMixin
from .copies import CopiesMixin
from .resources import (
    BACKUP_STATES,
    BOOT_VOLUME_BACKUP,
    GROUP_STATES,
    VOLUME_BACKUP,
    VOLUME_STATES,
    Backup,
    BackupKind,
    BootVolume,
    GroupBackup,
    Resource,
    Volume,
    VolumeGroup,
    WorkRequest,
    select,
)
from .restores import RestoresMixin
from .volumes import VolumesMixin

__all__ = [
    "BACKUP_STATES",
    "BOOT_VOLUME_BACKUP",
    "GROUP_STATES",
    "VOLUME_BACKUP",
    "VOLUME_STATES",
    "Backup",
    "BackupKind",
    "BlockstorageBackend",
    "BootVolume",
    "GroupBackup",
    "Resource",
    "Volume",
    "VolumeGroup",
    "WorkRequest",
    "select",
]


class BlockstorageBackend(VolumesMixin, BackupsMixin, CopiesMixin, RestoresMixin):
    """One tenancy's Block Volume state in one region (moto: mixins per resource, one backend class)."""
