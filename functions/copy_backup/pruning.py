"""Each destination's retention: only the copies the tool made from this region, per source (locked ones stay)."""

from __future__ import annotations

from collections import defaultdict

from functions.copy_backup.settings import Run
from functions.copy_backup.upkeep import made_by_tool
from shared.oci.blockstorage import BackupKind
from shared.oci.errors import OciError
from shared.oci.models import BackupBase
from shared.pruning import prune_backups
from shared.results import Item, ItemStatus
from shared.rules.tags import SOURCE_REGION_KEY


def prune(invocation: Run, region: str, kind: BackupKind, compartment: str) -> None:
    """Retention of one destination: only copies the tool made from this region, per source volume."""
    policy = invocation.settings.retention(region)
    if not policy.active:
        return
    storage = invocation.storage_in(region)
    by_volume: dict[str, list[BackupBase]] = defaultdict(list)
    try:
        for copy in storage.list_backups(kind, compartment):
            if made_by_tool(copy) and copy.freeform_tags.get(SOURCE_REGION_KEY) == invocation.region:
                by_volume[copy.source_id or copy.copied_from or copy.id].append(copy)
    except OciError as exc:
        invocation.report.add(
            Item(
                status=ItemStatus.FAILED,
                action="prune-copy",
                resource_id=compartment,
                region=region,
                reason=f"could not list the copies: {exc}",
            )
        )
        return
    for copies in by_volume.values():
        prune_backups(invocation, storage, kind, copies, policy, "prune-copy")
