"""retag-group-backup: rename and re-tag volume group backups, and their member volume backups.

Triggers:
- event ``createvolumegroupbackup.end``: the new group backup;
- schedule: group backups of ``COMPARTMENT_IDS`` from the last ``RETAG_LOOKBACK_DAYS`` that do not
  carry the wanted name and tags yet;
- HTTP / direct: ``{"volumeGroupBackupId": ..., "displayName"?, "freeformTags"?, "definedTags"?,
  "dryRun"?}``.

Tags are merged, never dropped (unless ``RETAG_REPLACE_TAGS``): the backup's own tags, then the volume
group's (``RETAG_COPY_GROUP_TAGS``), then the configured ones, then the request's, then the tool's
marker. Writes are optimistic: GET for the etag, PUT with ``if-match``; on 412 ``NoEtagMatch`` the
resource is re-read, the tags re-merged and the PUT retried (``RETAG_MAX_ATTEMPTS``), so a writer in
between loses nothing. A resource already as wanted is ``skipped``: a second run changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.app import HandlerSpec, Invocation, run_bounded
from shared.blockstorage import BackupKind, BlockStorage
from shared.errors import NoEtagMatch, NotAuthorizedOrNotFound, OciError
from shared.identity import compartment_tree
from shared.models import (
    GONE_STATES,
    BackupBase,
    DefinedTags,
    FreeformTags,
    LifecycleState,
    TagsUpdate,
    VolumeGroup,
    VolumeGroupBackup,
)
from shared.naming import check_template, render
from shared.results import Item, ItemStatus
from shared.settings import CommonSettings, KeyValues, is_ocid
from shared.tags import contains, merge_defined, merge_freeform
from shared.triggers import InputError, TriggerKind

RETAGGED_BY_KEY = "backup-retagged-by"
RETAGGED_BY_VALUE = "oci-block-backup"
NAME_PLACEHOLDERS = ("group", "name", "type", "source_type", "date", "time", "region")
EVENT_TYPES = frozenset({"com.oraclecloud.blockvolumes.createvolumegroupbackup.end"})


class RetagSettings(CommonSettings):
    name_template: str = Field(default="{group}-{type}-{date}-{time}", alias="RETAG_NAME_TEMPLATE")
    freeform_tags: KeyValues = Field(default_factory=dict, alias="RETAG_FREEFORM_TAGS")
    defined_tags: KeyValues = Field(default_factory=dict, alias="RETAG_DEFINED_TAGS")
    copy_group_tags: bool = Field(default=True, alias="RETAG_COPY_GROUP_TAGS")
    replace_tags: bool = Field(default=False, alias="RETAG_REPLACE_TAGS")
    max_attempts: int = Field(default=5, ge=1, le=20, alias="RETAG_MAX_ATTEMPTS")
    lookback_days: int = Field(default=7, ge=1, le=3650, alias="RETAG_LOOKBACK_DAYS")

    @field_validator("name_template")
    @classmethod
    def _template(cls, value: str) -> str:
        return check_template(value, NAME_PLACEHOLDERS)

    @field_validator("defined_tags")
    @classmethod
    def _namespaced(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if "." not in key.strip("."):
                raise ValueError(f"defined tags are namespace.key=value; {key!r} has no namespace")
        return value

    @property
    def defined(self) -> DefinedTags:
        tags: DefinedTags = {}
        for dotted, value in self.defined_tags.items():
            namespace, _, key = dotted.rpartition(".")
            tags.setdefault(namespace, {})[key] = value
        return tags


class RetagRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    volume_group_backup_id: str = Field(alias="volumeGroupBackupId")
    display_name: str | None = Field(default=None, alias="displayName", min_length=1, max_length=255)
    freeform_tags: FreeformTags | None = Field(default=None, alias="freeformTags")
    defined_tags: DefinedTags | None = Field(default=None, alias="definedTags")
    dry_run: bool = Field(default=False, alias="dryRun")

    @field_validator("volume_group_backup_id")
    @classmethod
    def _group_backup_ocid(cls, value: str) -> str:
        if not is_ocid(value) or value.split(".")[1] != "volumegroupbackup":
            raise ValueError("must be a volume group backup OCID")
        return value


Run = Invocation[RetagSettings, RetagRequest]


def run(invocation: Run) -> None:
    if invocation.kind is TriggerKind.EVENT:
        event = invocation.event
        assert event is not None
        if not event.succeeded:
            invocation.report.add(
                Item(
                    status=ItemStatus.SKIPPED,
                    action="retag",
                    resource_id=event.data.resource_id,
                    name=event.data.resource_name,
                    reason=f"the group backup did not succeed ({event.status}); nothing to re-tag",
                )
            )
            return
        _retag(invocation, event.data.resource_id, None)
    elif invocation.kind is TriggerKind.SCHEDULE:
        _sweep(invocation)
    else:
        request = invocation.request
        assert request is not None
        _retag(invocation, request.volume_group_backup_id, request)


def _sweep(invocation: Run) -> None:
    settings = invocation.settings
    compartments = settings.compartment_ids
    if not compartments:
        raise InputError("no compartments to sweep: set COMPARTMENT_IDS", "COMPARTMENT_IDS")
    if settings.include_subcompartments:
        compartments = compartment_tree(invocation.client, invocation.region, compartments, invocation.call_deadline)
    cutoff = invocation.now() - timedelta(days=settings.lookback_days)
    candidates = [
        backup.id
        for compartment in compartments
        for backup in invocation.storage.list_backups(BackupKind.VOLUME_GROUP, compartment)
        if backup.lifecycle_state == LifecycleState.AVAILABLE and backup.time_created >= cutoff
    ]

    def defer(backup_id: str) -> None:
        invocation.report.add(
            Item(
                status=ItemStatus.DEFERRED,
                action="retag",
                resource_id=backup_id,
                reason="not started before the deadline",
            )
        )

    run_bounded(
        candidates,
        lambda backup_id: _retag(invocation, backup_id, None),
        concurrency=settings.max_concurrency,
        deadline=invocation.deadline,
        on_deferred=defer,
    )


def _retag(invocation: Run, backup_id: str, request: RetagRequest | None) -> None:
    storage = invocation.storage
    try:
        group_backup = storage.get_backup(BackupKind.VOLUME_GROUP, backup_id)
    except NotAuthorizedOrNotFound:
        if request is not None:
            raise
        invocation.report.add(
            Item(
                status=ItemStatus.FAILED,
                action="retag",
                resource_id=backup_id,
                reason=f"not found in {invocation.region}",
            )
        )
        return
    backup = group_backup.value
    if backup.lifecycle_state in GONE_STATES:
        invocation.report.add(
            Item(
                status=ItemStatus.SKIPPED, action="retag", resource_id=backup_id, reason=f"is {backup.lifecycle_state}"
            )
        )
        return
    group = _group(storage, backup)
    name = _wanted_name(invocation, backup, group, request)
    freeform, defined = _added_tags(invocation.settings, group, request)
    done = _apply(invocation, BackupKind.VOLUME_GROUP, backup_id, name, freeform, defined, "retag")
    if not isinstance(done, VolumeGroupBackup):
        return
    for member_id in done.volume_backup_ids:
        _apply(invocation, BackupKind.VOLUME, member_id, None, freeform, defined, "retag-member")


def _group(storage: BlockStorage, backup: BackupBase) -> VolumeGroup | None:
    group_id = backup.source_id
    if not group_id:
        return None
    try:
        return storage.get_volume_group(group_id).value
    except NotAuthorizedOrNotFound:
        return None  # the group may be gone; its backup is still worth naming


def _wanted_name(invocation: Run, backup: BackupBase, group: VolumeGroup | None, request: RetagRequest | None) -> str:
    if request is not None and request.display_name:
        return request.display_name
    created = backup.time_created
    return render(
        invocation.settings.name_template,
        {
            "group": group.display_name if group else backup.display_name,
            "name": backup.display_name,
            "type": str(backup.type or "").lower(),
            "source_type": str(backup.source_type or "").lower(),
            "date": created.strftime("%Y-%m-%d"),
            "time": created.strftime("%H%M"),
            "region": invocation.region,
        },
    )


def _added_tags(
    settings: RetagSettings, group: VolumeGroup | None, request: RetagRequest | None
) -> tuple[FreeformTags, DefinedTags]:
    """What this run adds on top of the resource's own tags, in precedence order."""
    group_freeform = group.freeform_tags if group and settings.copy_group_tags else {}
    group_defined = group.defined_tags if group and settings.copy_group_tags else {}
    freeform = merge_freeform(
        group_freeform,
        settings.freeform_tags,
        request.freeform_tags if request else None,
        {RETAGGED_BY_KEY: RETAGGED_BY_VALUE},
    )
    defined = merge_defined(group_defined, settings.defined, request.defined_tags if request else None)
    return freeform, defined


def _apply(
    invocation: Run,
    kind: BackupKind,
    resource_id: str,
    name: str | None,
    freeform: FreeformTags,
    defined: DefinedTags,
    action: str,
) -> BackupBase | None:
    """Bring one backup to the wanted name and tags; returns it (as last read/written) or None on failure."""
    storage = invocation.storage
    replace = invocation.settings.replace_tags
    base: dict[str, Any] = {"action": action, "resource_id": resource_id}
    try:
        for attempt in range(1, invocation.settings.max_attempts + 1):
            current = storage.get_backup(kind, resource_id)
            backup = current.value
            base["name"] = name or backup.display_name
            want_freeform = freeform if replace else merge_freeform(backup.freeform_tags, freeform)
            want_defined = defined if replace else merge_defined(backup.defined_tags, defined)
            same_tags = (
                backup.freeform_tags == want_freeform and backup.defined_tags == want_defined
                if replace
                else contains(backup.freeform_tags, freeform) and contains(backup.defined_tags, defined)
            )
            if same_tags and (name is None or backup.display_name == name):
                invocation.report.add(Item(status=ItemStatus.SKIPPED, reason="already as wanted", **base))
                return backup
            if invocation.dry_run:
                invocation.report.add(Item(status=ItemStatus.PLANNED, reason=_describe(backup, name, freeform), **base))
                return backup
            details = TagsUpdate(display_name=name, freeform_tags=want_freeform, defined_tags=want_defined)
            try:
                updated = storage.update_backup(kind, resource_id, details, if_match=current.etag)
            except NoEtagMatch:
                continue  # someone wrote in between: re-read, re-merge, retry
            reason = "renamed and re-tagged" if name and name != backup.display_name else "re-tagged"
            if attempt > 1:
                reason += f" (after {attempt - 1} concurrent change{'s' if attempt > 2 else ''})"
            invocation.report.add(
                Item(status=ItemStatus.UPDATED, reason=reason, opc_request_id=updated.opc_request_id, **base)
            )
            return updated.value
        invocation.report.add(
            Item(
                status=ItemStatus.FAILED,
                reason=f"changed by someone else on each of {invocation.settings.max_attempts} attempts",
                **base,
            )
        )
    except OciError as exc:
        invocation.report.add(Item(status=ItemStatus.FAILED, reason=str(exc), **base))
    return None


def _describe(backup: BackupBase, name: str | None, freeform: FreeformTags) -> str:
    parts = []
    if name and name != backup.display_name:
        parts.append(f"would rename to {name!r}")
    missing = sorted(k for k, v in freeform.items() if backup.freeform_tags.get(k) != v)
    if missing:
        parts.append(f"would set tags {', '.join(missing)}")
    return "; ".join(parts) or "would update defined tags"


SPEC = HandlerSpec(
    name="retag_group_backup",
    settings=RetagSettings,
    request=RetagRequest,
    event_types=EVENT_TYPES,
    run=run,
    route="retag-group-backup",
)
