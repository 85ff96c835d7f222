"""What a backup should look like (name, tags) and how that differs from what it is."""

from __future__ import annotations

from dataclasses import dataclass

from functions.retag_group_backup.settings import ORIGINAL_NAME_KEY, TOOL_KEYS, Namer
from shared.oci.models import (
    BackupBase,
    DefinedTags,
    FreeformTags,
)
from shared.rules.tags import Fitted, fit, merge_defined, merge_freeform


@dataclass(frozen=True)
class Wanted:
    """The tags one run wants on a backup: ``fill`` only where the backup has no such key, ``add`` always."""

    fill_freeform: FreeformTags
    fill_defined: DefinedTags
    add_freeform: FreeformTags
    add_defined: DefinedTags
    replace: bool

    def tags_for(self, backup: BackupBase, keep: FreeformTags | None = None) -> Fitted:
        """The backup's tags and the wanted ones (``keep``: tags to set unless the backup has the key);
        the group's tags fill what room OCI's 64 leave."""
        own_freeform = backup.freeform_tags
        own_defined = backup.defined_tags
        if self.replace:
            own_freeform = {k: v for k, v in own_freeform.items() if k in TOOL_KEYS}
            own_defined = {}
        return fit(
            self.fill_freeform,
            self.fill_defined,
            merge_freeform(keep, own_freeform, self.add_freeform),
            merge_defined(own_defined, self.add_defined),
        )


@dataclass(frozen=True)
class Change:
    """The difference between a backup and what is wanted; empty means already as wanted."""

    name: str | None  # the new display name, if it changes
    freeform: FreeformTags | None  # the full new freeform tags, if they change
    defined: DefinedTags | None  # the full new defined tags, if they change
    summary: list[str]

    def __bool__(self) -> bool:
        return bool(self.summary)


def change_for(backup: BackupBase, namer: Namer | None, wanted: Wanted) -> Change:
    name = namer(backup) if namer is not None else None
    renamed = name is not None and name != backup.display_name
    tags = wanted.tags_for(backup, {ORIGINAL_NAME_KEY: backup.display_name} if renamed else None)
    freeform, defined = tags.freeform, tags.defined
    summary: list[str] = []
    if renamed:
        summary.append(f"rename to {name!r}")
    set_keys = sorted(k for k, v in freeform.items() if backup.freeform_tags.get(k) != v)
    dropped = sorted(set(backup.freeform_tags) - set(freeform))
    if set_keys:
        summary.append(f"set tags {', '.join(set_keys)}")
    if dropped:
        summary.append(f"remove tags {', '.join(dropped)}")
    defined_changes = _defined_changes(backup.defined_tags, defined)
    if defined_changes:
        summary.append(f"set defined tags {', '.join(defined_changes)}")
    if summary and tags.left_out:
        summary.append(tags.note("group"))
    return Change(
        name=name if renamed else None,
        freeform=freeform if freeform != backup.freeform_tags else None,
        defined=defined if defined != backup.defined_tags else None,
        summary=summary,
    )


def _defined_changes(have: DefinedTags, want: DefinedTags) -> list[str]:
    names = {f"{ns}.{k}" for ns, pairs in want.items() for k, v in pairs.items() if have.get(ns, {}).get(k) != v}
    names |= {f"{ns}.{k} (removed)" for ns, pairs in have.items() for k in pairs if k not in want.get(ns, {})}
    return sorted(names)
