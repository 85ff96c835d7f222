"""What copying reads of a source backup, and the compact record of it a reconcile keeps.

A listed ``BackupBase`` (every field OCI answers, as a pydantic model) takes a few KB; a reconcile lists
every backup of its scope. A copy needs a handful of its source's fields (its name and time for the copy's
name, its tags for the copy's tags, its volume for the boot copy limit), so the reconcile keeps a
``Candidate`` of each backup it may copy and lets the listed page go. ``SourceBackup`` is what the copying
code accepts: a model (event and HTTP paths) or a record (reconcile).
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from shared.oci.backup_record import ListedBackup
from shared.oci.models import BackupBase
from shared.rules.tags import copyable_defined


class SourceBackup(ListedBackup, Protocol):
    """The fields of a source backup that copying reads (``BackupBase`` and ``Candidate`` both have them)."""

    @property
    def defined_tags(self) -> Mapping[str, Mapping[str, Any]]: ...


class Candidate(NamedTuple):
    """A backup a reconcile may copy; ``defined_tags`` holds only the namespaces a copy may carry
    (``COPY_DEFINED_TAG_NAMESPACES``: all a copy's upkeep reads of them)."""

    id: str
    compartment_id: str
    display_name: str
    time_created: datetime
    source_id: str | None
    freeform_tags: Mapping[str, str]
    defined_tags: Mapping[str, Mapping[str, Any]]

    @classmethod
    def of(cls, backup: BackupBase, namespaces: Collection[str]) -> Candidate:
        # the same few strings recur on every backup (compartment, tag keys): one copy each
        return cls(
            id=backup.id,
            compartment_id=sys.intern(backup.compartment_id),
            display_name=backup.display_name,
            time_created=backup.time_created,
            source_id=backup.source_id,
            freeform_tags={sys.intern(k): v for k, v in backup.freeform_tags.items()},
            defined_tags=copyable_defined(backup.defined_tags, namespaces),
        )
