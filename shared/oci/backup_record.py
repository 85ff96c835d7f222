"""What a sweep keeps of a listed backup: the facts the backup rules read, in a tenth of the model's memory.

A listed ``BackupBase`` (a pydantic model with every field OCI answers, both tag maps) takes about 2.6 KB;
a tenancy at OCI's default backup limit lists 100,000 of them. The rules (retention, locks, the run tag,
FULL every n-th) read a dozen fields and the tool's own free-form tags, so a sweep validates each page
with the model, keeps a ``BackupRecord`` of each backup and lets the page go.

``BackupFacts`` is what the rules accept: a model or a record; ``ListedBackup`` the fields every reader of a
listed backup reads (copy-backup's ``SourceBackup`` adds the defined tags to it).
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.oci.models import BackupBase, RetentionDuration


class ListedBackup(Protocol):
    """What every reader of a listed backup reads: its id, place, name, time, source and free-form tags."""

    @property
    def id(self) -> str: ...
    @property
    def compartment_id(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def time_created(self) -> datetime: ...
    @property
    def source_id(self) -> str | None: ...
    @property
    def freeform_tags(self) -> Mapping[str, str]: ...


class BackupFacts(ListedBackup, Protocol):
    """The fields of a backup the rules read (``BackupBase`` and ``BackupRecord`` both have them)."""

    @property
    def lifecycle_state(self) -> str: ...
    @property
    def time_request_received(self) -> datetime | None: ...
    @property
    def type(self) -> str | None: ...
    @property
    def group_backup_id(self) -> str | None: ...
    @property
    def is_retention_lock_enabled(self) -> bool | None: ...
    @property
    def is_prevent_deletion_enabled(self) -> bool | None: ...
    @property
    def is_indefinite_retention_enabled(self) -> bool | None: ...
    @property
    def retention_period(self) -> RetentionDuration | None: ...
    @property
    def time_retention_expires_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class BackupRecord:
    """One listed backup as a sweep keeps it; ``freeform_tags`` holds only the tag keys the caller reads
    (the tool's own: managed-by, run, trigger, ...)."""

    id: str
    compartment_id: str
    display_name: str
    lifecycle_state: str
    time_created: datetime
    time_request_received: datetime | None
    type: str | None
    freeform_tags: Mapping[str, str]
    source_id: str | None
    group_backup_id: str | None
    is_retention_lock_enabled: bool | None
    is_prevent_deletion_enabled: bool | None
    is_indefinite_retention_enabled: bool | None
    retention_period: RetentionDuration | None
    time_retention_expires_at: datetime | None

    @classmethod
    def of(cls, backup: BackupBase, tag_keys: Collection[str]) -> BackupRecord:
        # the same few strings recur on every backup (compartment, states, tag keys and values): one copy each
        tags = {sys.intern(k): sys.intern(v) for k, v in backup.freeform_tags.items() if k in tag_keys}
        return cls(
            id=backup.id,
            compartment_id=sys.intern(backup.compartment_id),
            display_name=backup.display_name,
            lifecycle_state=sys.intern(str(backup.lifecycle_state)),
            time_created=backup.time_created,
            time_request_received=backup.time_request_received,
            type=None if backup.type is None else sys.intern(str(backup.type)),
            freeform_tags=tags,
            source_id=backup.source_id,
            group_backup_id=backup.group_backup_id,
            is_retention_lock_enabled=backup.is_retention_lock_enabled,
            is_prevent_deletion_enabled=backup.is_prevent_deletion_enabled,
            is_indefinite_retention_enabled=backup.is_indefinite_retention_enabled,
            retention_period=backup.retention_period,
            time_retention_expires_at=backup.time_retention_expires_at,
        )
