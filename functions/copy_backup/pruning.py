"""Each destination's retention: only the copies the tool made from this region, per source (locked ones stay)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from functions.copy_backup.settings import Run
from functions.copy_backup.upkeep import made_by_tool
from shared.oci.blockstorage import BackupKind
from shared.oci.models import BackupBase
from shared.pruning import prune_backups
from shared.rules.tags import SOURCE_REGION_KEY


def prune(invocation: Run, region: str, kind: BackupKind, copies: Iterable[BackupBase]) -> None:
    """Retention of one destination (``copies``: its copies of one kind in one compartment): only copies the
    tool made from this region, per source volume."""
    policy = invocation.settings.retention(region)
    if not policy.active:
        return
    by_volume: dict[str, list[BackupBase]] = defaultdict(list)
    for copy in copies:
        if made_by_tool(copy) and copy.freeform_tags.get(SOURCE_REGION_KEY) == invocation.region:
            by_volume[copy.source_id or copy.copied_from or copy.id].append(copy)
    storage = invocation.storage_in(region)
    for same_source in by_volume.values():
        prune_backups(invocation, storage, kind, same_source, policy, "prune-copy")
