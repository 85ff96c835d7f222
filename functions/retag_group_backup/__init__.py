"""retag-group-backup: name and tag volume group backups, and their member backups.

Group backups made by backup policies come out with fixed names and none of an organisation's tags;
this function gives them a name from a template and the tags they need.

Triggers:
- event ``createvolumegroupbackup.end``: the new group backup (failed-status events are only reported);
- schedule: the AVAILABLE group backups of ``COMPARTMENT_IDS`` (and children with
  ``INCLUDE_SUBCOMPARTMENTS``) created in the last ``RETAG_LOOKBACK_DAYS`` that do not carry the wanted
  name and tags yet (those that do are reported ``skipped`` without further calls), listed page by page;
  a run that reaches its deadline hands the rest to a detached invocation of itself as a ``cursor``
  (compartment, page, first group backup not started), so the next run lists only what is left;
- HTTP / direct: ``{"volumeGroupBackupId": ..., "displayName"?, "freeformTags"?, "definedTags"?,
  "dryRun"?}`` for one group backup (an explicit ``displayName`` wins over the template; request tags
  win over configured ones).

Tags are merged, never dropped. Lowest first: the volume group's tags fill in keys the backup lacks
(``RETAG_COPY_GROUP_TAGS``; never the group's own ``Oracle-Tags`` CreatedBy/CreatedOn); the backup's
own tags stay; the configured tags, the request's tags and the tool's marker (``backup-retagged-by``)
win key by key. ``RETAG_REPLACE_TAGS`` drops the backup's own tags instead (the tool's keys stay).
The same tags go to every member backup (``volumeBackupIds``: volume and boot volume backups);
members are done first and the group backup last, so a group backup as wanted means its members were
done, and one with a failed member is left for the next run.

Naming: the template's placeholders come from the group and the backup. When the tool renames a backup
it keeps the name it had in the ``backup-original-name`` tag, so ``{name}`` stays the original one.
Event and schedule runs name a backup once: one the tool named already (``backup-original-name``) or
made itself (``backup-managed-by``) keeps its name, so a later rename by someone else is respected;
an HTTP / direct request renames again.

Writes are optimistic: GET for the ``etag``, PUT with ``if-match``; on 412 ``NoEtagMatch`` the backup is
re-read, the tags re-merged and the PUT retried (at most ``RETAG_MAX_ATTEMPTS`` attempts), so a writer
in between loses nothing; the item says ``after N concurrent change(s)``. A backup already as wanted is
``skipped``: a second run changes nothing.

Configuration: ``SELECTOR`` limits event and schedule runs to group backups whose own or whose volume
group's tags match; the keys and their defaults are in the README's "Configuration" table.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from functions.retag_group_backup.changes import Change, Wanted, change_for
from functions.retag_group_backup.listing import GroupBackups, Placed
from functions.retag_group_backup.settings import (
    ACTION,
    EVENT_KINDS,
    MEMBER_ACTION,
    ORIGINAL_NAME_KEY,
    RETAGGED_BY_KEY,
    RETAGGED_BY_VALUE,
    Namer,
    RetagRequest,
    RetagSettings,
    Run,
)
from shared.app import HandlerSpec
from shared.oci.blockstorage import BackupKind, Versioned
from shared.oci.boot_group_models import VolumeGroup, VolumeGroupBackup
from shared.oci.errors import KeptChanging, NotAuthorizedOrNotFound, OciError
from shared.oci.models import (
    GONE_STATES,
    BackupBase,
    TagsUpdate,
)
from shared.results import Item, ItemStatus, status_for
from shared.rules.naming import render
from shared.rules.tags import copyable_defined, is_managed, merge_defined, merge_freeform
from shared.sweep import deferred_item, hand_over, hand_over_from, run_bounded, scope
from shared.triggers import OciEvent, ScheduleRequest


@dataclass
class Context:
    """One run: the invocation and the volume groups read so far (a sweep meets each group many times)."""

    invocation: Run
    _groups: dict[str, VolumeGroup | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def settings(self) -> RetagSettings:
        return self.invocation.settings

    def report(self, status: ItemStatus, resource_id: str, reason: str, **extra: Any) -> None:
        self.invocation.report.add(Item(status=status, resource_id=resource_id, reason=reason, **extra))

    def group(self, group_id: str | None) -> VolumeGroup | None:
        """The volume group (None when the backup names none or it is gone); read once per run."""
        if not group_id:
            return None
        with self._lock:
            if group_id in self._groups:
                return self._groups[group_id]
        try:
            group: VolumeGroup | None = self.invocation.storage.get_volume_group(group_id).value
        except NotAuthorizedOrNotFound:
            group = None  # the group may be gone; its backup is still worth naming
        with self._lock:
            self._groups[group_id] = group
        return group


def on_event(invocation: Run, event: OciEvent, kind: BackupKind) -> None:
    """A new group backup (the event's resource is one: checked with the event)."""
    context = Context(invocation)
    backup_id = event.data.resource_id
    if not event.succeeded:
        context.report(
            ItemStatus.SKIPPED,
            backup_id,
            f"the group backup did not succeed ({event.status}); nothing to re-tag",
            action=ACTION,
            name=event.data.resource_name,
        )
        return
    _retag(context, backup_id, None, listed=None)


# --- schedule ---------------------------------------------------------------------------------


def on_schedule(invocation: Run, schedule: ScheduleRequest) -> None:
    """The recent AVAILABLE group backups of the scope not named and tagged as wanted yet, page by page (a
    hand-over: from its ``cursor`` on, or only its ``resourceIds``); what the deadline leaves is handed over."""
    context = Context(invocation)
    settings = context.settings
    cutoff = invocation.now() - timedelta(days=settings.lookback_days)
    only = schedule.only
    listing = GroupBackups(invocation, scope(invocation), cutoff, only, schedule.cursor)
    left: list[Placed] = []

    def work(placed: Placed) -> None:
        _retag(context, placed.backup.id, None, listed=placed.backup)

    # a hand-over by ids lists on to find every id not started; a cursor stops listing where it stopped
    drain = only is not None
    run_bounded(
        listing, work, concurrency=settings.max_concurrency, deadline=invocation.deadline,
        on_deferred=left.append, drain=drain,
    )  # fmt: skip
    if not left:
        return
    left += listing.rest_of_page()
    for placed in left:
        invocation.report.add(deferred_item(ACTION, placed.backup.id, placed.backup.display_name))
    if drain:
        hand_over(invocation, [placed.backup.id for placed in left], "group backups")
        return
    hand_over_from(invocation, GroupBackups.cursor_at(left[0]), len(left), "group backups and the rest of the listing")


# --- HTTP / direct ------------------------------------------------------------------------------


def on_request(invocation: Run, request: RetagRequest) -> None:
    """One group backup, with the request's name and tags winning over the configured ones."""
    _retag(Context(invocation), request.volume_group_backup_id, request, listed=None)


# --- one group backup -------------------------------------------------------------------------


def _retag(context: Context, backup_id: str, request: RetagRequest | None, listed: BackupBase | None) -> None:
    """Members first, then the group backup. ``listed``: the group backup as a sweep listed it."""
    try:
        if listed is not None and _settled(context, listed):
            return
        _retag_fully(context, backup_id, request)
    except NotAuthorizedOrNotFound:
        if request is not None:
            raise  # the runtime answers 404
        region = context.invocation.region
        reason = f"not found in {region} (deleted since, or not visible to the function: check its IAM policy)"
        context.report(ItemStatus.SKIPPED, backup_id, reason, action=ACTION)
    except OciError as exc:
        context.report(status_for(exc), backup_id, str(exc), action=ACTION)


def _settled(context: Context, listed: BackupBase) -> bool:
    """A sweep's shortcut: reported as skipped from the listing alone (not selected, or already as wanted).

    Members are done before their group backup, so a group backup as wanted means its members were done.
    """
    group = context.group(listed.source_id)
    base = {"action": ACTION, "name": listed.display_name}
    if not _selected(context, listed, group, None):
        context.report(ItemStatus.SKIPPED, listed.id, f"does not match SELECTOR {context.settings.selector}", **base)
        return True
    if not change_for(listed, _namer(context, group, None), _wanted(context, group, None)):
        context.report(ItemStatus.SKIPPED, listed.id, "already as wanted", **base)
        return True
    return False


def _retag_fully(context: Context, backup_id: str, request: RetagRequest | None) -> None:
    current = context.invocation.storage.get_backup(BackupKind.VOLUME_GROUP, backup_id)
    backup = current.value
    assert isinstance(backup, VolumeGroupBackup)
    base = {"action": ACTION, "name": backup.display_name}
    if backup.lifecycle_state in GONE_STATES:
        context.report(ItemStatus.SKIPPED, backup_id, f"is {backup.lifecycle_state}", **base)
        return
    group = context.group(backup.source_id)
    if not _selected(context, backup, group, request):
        context.report(ItemStatus.SKIPPED, backup_id, f"does not match SELECTOR {context.settings.selector}", **base)
        return
    wanted = _wanted(context, group, request)
    failed = sum(not _retag_member(context, member_id, wanted) for member_id in backup.volume_backup_ids)
    if failed:
        context.report(
            ItemStatus.FAILED,
            backup_id,
            f"left as it was: {failed} member backup(s) failed; the next run tries again",
            **base,
        )
        return
    _apply(context, BackupKind.VOLUME_GROUP, backup_id, current, _namer(context, group, request), wanted, ACTION)


def _retag_member(context: Context, member_id: str, wanted: Wanted) -> bool:
    """Bring one member backup to the wanted tags; False when it failed."""
    kind = BackupKind.of_ocid(member_id)
    if kind not in (BackupKind.VOLUME, BackupKind.BOOT_VOLUME):
        context.report(ItemStatus.FAILED, member_id, "not a volume or boot volume backup OCID", action=MEMBER_ACTION)
        return False
    assert kind is not None
    try:
        return _apply(context, kind, member_id, None, None, wanted, MEMBER_ACTION)
    except OciError as exc:
        context.report(ItemStatus.FAILED, member_id, str(exc), action=MEMBER_ACTION)
        return False


def _selected(context: Context, backup: BackupBase, group: VolumeGroup | None, request: RetagRequest | None) -> bool:
    """An explicit request is always acted on; event and schedule runs honour SELECTOR."""
    selector = context.settings.selector
    if request is not None or selector is None:
        return True
    if selector.matches(backup.freeform_tags, backup.defined_tags):
        return True
    return group is not None and selector.matches(group.freeform_tags, group.defined_tags)


def _wanted(context: Context, group: VolumeGroup | None, request: RetagRequest | None) -> Wanted:
    settings = context.settings
    copied = group if group is not None and settings.copy_group_tags else None
    return Wanted(
        fill_freeform=dict(copied.freeform_tags) if copied else {},
        fill_defined=copyable_defined(copied.defined_tags if copied else None, settings.copy_defined_tag_namespaces),
        add_freeform=merge_freeform(
            settings.freeform_tags,
            request.freeform_tags if request else None,
            {RETAGGED_BY_KEY: RETAGGED_BY_VALUE},
        ),
        add_defined=merge_defined(settings.defined, request.defined_tags if request else None),
        replace=settings.replace_tags,
    )


def _namer(context: Context, group: VolumeGroup | None, request: RetagRequest | None) -> Namer:
    settings = context.settings
    region = context.invocation.region

    def wanted_name(backup: BackupBase) -> str | None:
        if request is not None and request.display_name:
            return request.display_name
        if not settings.rename:
            return None
        if request is None and (ORIGINAL_NAME_KEY in backup.freeform_tags or is_managed(backup.freeform_tags)):
            return None  # named once already (by this tool or at creation); later renames are someone's choice
        original = backup.freeform_tags.get(ORIGINAL_NAME_KEY) or backup.display_name
        created = backup.time_created
        values = {
            "group": group.display_name if group is not None and group.display_name else original,
            "name": original,
            "type": str(backup.type or "").lower(),
            "source_type": str(backup.source_type or "").lower(),
            "date": created.strftime("%Y-%m-%d"),
            "time": created.strftime("%H%M"),
            "region": region,
        }
        return render(settings.name_template, values)

    return wanted_name


def _apply(
    context: Context,
    kind: BackupKind,
    resource_id: str,
    first: Versioned[BackupBase] | None,
    namer: Namer | None,
    wanted: Wanted,
    action: str,
) -> bool:
    """Bring one backup to the wanted name and tags (``BlockStorage.update_if_match``); False when it failed.

    Each attempt starts from what OCI has now, so a concurrent writer's tags are merged, not lost.
    """
    invocation = context.invocation
    found: list[Change | None] = [None]  # the change for the backup as last read (None: gone)

    def change(backup: BackupBase) -> TagsUpdate | None:
        found[0] = None if backup.lifecycle_state in GONE_STATES else change_for(backup, namer, wanted)
        wants = found[0]
        if not wants or invocation.dry_run:
            return None
        return TagsUpdate(display_name=wants.name, freeform_tags=wants.freeform, defined_tags=wants.defined)

    try:
        done = invocation.storage.update_if_match(
            kind, resource_id, change, attempts=context.settings.max_attempts, current=first
        )
    except KeptChanging as exc:
        context.report(ItemStatus.FAILED, resource_id, f"{exc}; the next run tries again", action=action)
        return False
    backup, wants = done.backup.value, found[0]
    base: dict[str, Any] = {"action": action, "name": backup.display_name}
    if wants is None:
        context.report(ItemStatus.SKIPPED, resource_id, f"is {backup.lifecycle_state}", **base)
    elif not wants:
        context.report(ItemStatus.SKIPPED, resource_id, "already as wanted", **base)
    elif not done.updated:
        context.report(ItemStatus.PLANNED, resource_id, "would " + "; ".join(wants.summary), **base)
    else:
        reason = "; ".join(wants.summary)
        if done.conflicts:
            reason += f" (after {done.conflicts} concurrent change{'s' if done.conflicts > 1 else ''})"
        context.report(ItemStatus.UPDATED, resource_id, reason, opc_request_id=done.backup.opc_request_id, **base)
    return True


SPEC = HandlerSpec(
    name="retag_group_backup",
    settings=RetagSettings,
    request=RetagRequest,
    event_kinds=EVENT_KINDS,
    on_event=on_event,
    on_schedule=on_schedule,
    on_request=on_request,
    route="retag-group-backup",
)
