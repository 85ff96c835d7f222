"""The demo's story, step by step: what happens in the tenancy, what the functions do, what is checked."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from demo.report import Step, human_part, say, short_id, subheading, table
from demo.stage import DR_REGION, GATEWAY_HEADERS, HOME_REGION, Delivery, Message, Outcome, Stage
from shared.oci.blockstorage import BackupKind
from shared.oci.boot_group_models import CreateVolumeGroupBackupDetails, VolumeGroupBackup
from shared.oci.client import new_retry_token
from shared.oci.models import (
    GONE_STATES,
    IN_PROGRESS_STATES,
    BackupBase,
    BackupType,
    LifecycleState,
)
from shared.posture import ProtectionPosture
from shared.results import ItemStatus
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE, SOURCE_KEY, SOURCE_REGION_KEY, TRIGGER_KEY, is_managed

DAY = 86400.0
SELECTOR = "backup=daily"
RETENTION_DAYS = 30
SEEDED_AGES_DAYS = (1, 8, 40, 75)  # the tool's earlier backups of each fleet volume
MANUAL_AGE_DAYS = 90  # a person's own backup: never the tool's to delete
RPO_HOURS = 36  # a nightly sweep with slack: a backup from last night counts, one from 3 days ago does not
LEGACY_AGE_DAYS = 3  # db-legacy: tagged, but its last backup (by a backup policy since removed) is this old


class AlarmModel(NamedTuple):
    """An alarm query ``metric[<window>h]{function = "create-backup"}.<statistic>() > 0`` (terraform/monitoring.tf)."""

    metric: str
    window_hours: int
    statistic: Callable[[Iterable[float]], float]


# Terraform's unprotected alarm with the default nightly schedule (tests/test_terraform_monitoring.py compares them)
UNPROTECTED_ALARM = AlarmModel("resources_unprotected", 24, min)
LOCKED_VOLUME, LOCKED_AGE_DAYS, LOCK_DAYS = "web-02", 40, 365  # one old backup under a one-year retention lock
RETAG_TAGS = {"dr-tier": "gold"}
RESTORE_SELECTOR = "restore-drill=yes"
RESTORE_CLOCK_SECONDS = 400  # the emulator restores 200 GB in 60 s + 1.5 s/GB = 360 s
GROUP_TAGS = {"backup": "daily", "app": "erp", "cost-center": "cc-42"}

RETENTION_LOCK = {
    "isRetentionLockEnabled": True,
    "retentionPeriod": {"retentionTimeUnit": "DAYS", "retentionTimeAmount": LOCK_DAYS},
}

# The function config, as terraform sets it (plus NOTIFY_ON=all so that every run reports).
CONFIGS: dict[str, dict[str, str]] = {
    "create_backup": {
        "SELECTOR": SELECTOR,
        "NOTIFY_ON": "all",
        "RETENTION_DAYS": str(RETENTION_DAYS),
        "RPO_HOURS": str(RPO_HOURS),
    },
    "copy_backup": {"SELECTOR": SELECTOR, "NOTIFY_ON": "all", "COPY_DESTINATION_REGIONS": DR_REGION},
    "retag_group_backup": {
        "SELECTOR": SELECTOR,
        "NOTIFY_ON": "all",
        "RETAG_FREEFORM_TAGS": ",".join(f"{k}={v}" for k, v in RETAG_TAGS.items()),
    },
    # restore tests of the payments stack only (step 7); RESTORE_COMPARTMENT_ID: the stage's sandbox
    "restore_backup": {"SELECTOR": RESTORE_SELECTOR, "NOTIFY_ON": "all"},
}


@dataclass
class FleetVolume:
    name: str
    id: str
    tagged: bool
    seeded: dict[str, int] = field(default_factory=dict)  # backup id -> age in days (the tool's)
    manual: str | None = None  # a person's backup id
    locked: str | None = None  # the id of a seeded backup under a retention lock


@dataclass
class Scene:
    """Ids the steps hand on to each other."""

    fleet: list[FleetVolume] = field(default_factory=list)
    volume_id: str = ""
    first_backup_id: str = ""
    group_id: str = ""
    legacy_id: str = ""
    sweep: Outcome | None = None


# --- printing -----------------------------------------------------------------------------------------


def show_deliveries(deliveries: list[Delivery]) -> None:
    delivered = [d for d in deliveries if d.function]
    say(
        table(
            ["EVENT", "RESOURCE", "RULE -> FUNCTION", "OUTCOME"],
            [
                (d.event_type, d.resource_name or short_id(d.resource_id), d.function.slug, d.outcome.summary)
                for d in delivered
                if d.function and d.outcome
            ],
        )
    )
    others = Counter(f"{d.event_type} ({d.region})" for d in deliveries if not d.function)
    if others:
        listed = ", ".join(f"{name} x{n}" if n > 1 else name for name, n in sorted(others.items()))
        say(f"  no rule matches (not delivered): {listed}")


def show_items(outcome: Outcome) -> None:
    say(
        table(
            ["STATUS", "ACTION", "NAME", "REGION", "RESULT", "DETAIL"],
            [
                (i.status.value, i.action, i.name or short_id(i.resource_id), i.region, short_id(i.result_id), i.reason)
                for i in sorted(outcome.result.items if outcome.result else [], key=lambda i: (i.action, i.name or ""))
            ],
        )
    )


def show_notifications(stage: Stage) -> list[Message]:
    messages = stage.new_messages()
    subheading(f"Notifications received ({len(messages)}):")
    for message in messages:
        say(f"  Subject: {message.title}")
        for line in human_part(message.body).splitlines():
            say(f"  | {line}".rstrip())
        say()
    return messages


def show_backups(backups: Iterable[BackupBase], now: datetime) -> None:
    say(
        table(
            ["BACKUP", "ID", "TYPE", "STATE", "AGE", "TOOL'S"],
            [
                (b.display_name, short_id(b.id), b.type, b.lifecycle_state, age(b, now), is_managed(b.freeform_tags))
                for b in sorted(backups, key=lambda b: b.time_created, reverse=True)
            ],
        )
    )


def age(backup: BackupBase, now: datetime) -> str:
    seconds = max(0.0, (now - backup.time_created).total_seconds())
    return f"{seconds / DAY:.0f} d" if seconds >= DAY else f"{seconds / 60:.0f} min"


def ages_youngest_first(backups: Iterable[BackupBase], now: datetime) -> list[str]:
    """Ages as shown (``1 d``, ``8 d``, ``40 d``), ordered by time, not as text."""
    return [age(b, now) for b in sorted(backups, key=lambda b: b.time_created, reverse=True)]


def emulator_now(stage: Stage) -> datetime:
    return datetime.fromtimestamp(float(stage.control.clock()["epochSeconds"]), UTC)


def deliver(stage: Stage, events_label: str = "Events delivered:") -> list[Delivery]:
    deliveries = stage.deliver()
    subheading(events_label)
    show_deliveries(deliveries)
    return deliveries


def backups_of(stage: Stage, kind: BackupKind, source_id: str, region: str = HOME_REGION) -> list[BackupBase]:
    return list(stage.storage(region).list_backups(kind, stage.compartment_id, source_id=source_id))


def only(deliveries: list[Delivery], event_type: str) -> list[Delivery]:
    return [d for d in deliveries if d.event_type == event_type and d.function]


# --- before the functions exist ------------------------------------------------------------------------


def prepare_fleet(stage: Stage, scene: Scene) -> None:
    """A fleet that existed before the tool was deployed, with backups from earlier runs of the tool."""
    control, compartment = stage.control, stage.compartment_id
    for number in range(1, 5):
        name = f"web-{number:02d}"
        volume = control.create_volume(HOME_REGION, compartment, name, freeform_tags={"backup": "daily"})
        fleet_volume = FleetVolume(name, str(volume["id"]), tagged=True)
        for days in SEEDED_AGES_DAYS:
            locked = name == LOCKED_VOLUME and days == LOCKED_AGE_DAYS
            seeded = control.seed_backup(
                HOME_REGION,
                fleet_volume.id,
                display_name=f"{name}-incremental-{days}d-ago",
                age_seconds=days * DAY,
                freeform_tags={MANAGED_BY_KEY: MANAGED_BY_VALUE, TRIGGER_KEY: "schedule", SOURCE_KEY: fleet_volume.id},
                lock=RETENTION_LOCK if locked else None,
            )
            fleet_volume.seeded[str(seeded["id"])] = days
            if locked:
                fleet_volume.locked = str(seeded["id"])
        scene.fleet.append(fleet_volume)
    manual = control.seed_backup(
        HOME_REGION, scene.fleet[0].id, display_name="web-01 before upgrade", age_seconds=MANUAL_AGE_DAYS * DAY
    )
    scene.fleet[0].manual = str(manual["id"])
    scratch = control.create_volume(HOME_REGION, compartment, "scratch-01", freeform_tags={"owner": "qa"})
    scene.fleet.append(FleetVolume("scratch-01", str(scratch["id"]), tagged=False))
    legacy = control.create_volume(HOME_REGION, compartment, "db-legacy", freeform_tags={"backup": "daily"})
    scene.legacy_id = str(legacy["id"])
    control.seed_backup(
        HOME_REGION,
        scene.legacy_id,
        display_name="db-legacy-policy-backup",
        source_type="SCHEDULED",
        age_seconds=LEGACY_AGE_DAYS * DAY,
    )
    say(
        table(
            ["VOLUME", "ID", "FREEFORM TAGS", "EXISTING BACKUPS"],
            [
                (
                    v.name,
                    short_id(v.id),
                    "backup=daily" if v.tagged else "owner=qa",
                    _fleet_backups_text(v),
                )
                for v in scene.fleet
            ]
            + [
                (
                    "db-legacy",
                    short_id(scene.legacy_id),
                    "backup=daily",
                    f"1 by a backup policy ({LEGACY_AGE_DAYS} days old)",
                )
            ],
        )
    )


def _fleet_backups_text(volume: FleetVolume) -> str:
    parts = []
    if volume.seeded:
        ages = ", ".join(str(d) for d in sorted(volume.seeded.values()))
        parts.append(f"{len(volume.seeded)} by the tool ({ages} days old)")
    if volume.manual:
        parts.append(f"1 manual ({MANUAL_AGE_DAYS} days old)")
    if volume.locked:
        parts.append(f"the {LOCKED_AGE_DAYS}-day-old one under a {LOCK_DAYS}-day retention lock")
    return "; ".join(parts) or "none"


# --- the steps -------------------------------------------------------------------------------------------


def step_new_volume(stage: Stage, scene: Scene, step: Step) -> None:
    say("A team creates volume app-data (tag backup=daily) in compartment prod.")
    volume = stage.control.create_volume(
        HOME_REGION, stage.compartment_id, "app-data", freeform_tags={"backup": "daily", "team": "payments"}
    )
    scene.volume_id = str(volume["id"])
    deliveries = deliver(stage)
    created = only(deliveries, "createvolume.end")
    step.expect(
        len(created) == 1 and created[0].function is stage.functions["create_backup"],
        "createvolume.end was delivered to create-backup",
        [d.event_type for d in deliveries],
    )
    outcome = created[0].outcome if created else None
    if outcome is None:
        return
    subheading("create-backup answered:")
    show_items(outcome)
    made = outcome.items(ItemStatus.CREATED, "backup")
    step.expect(len(made) == 1 and made[0].resource_id == scene.volume_id, "it started one backup of app-data")
    subheading("The operator sees (ListVolumeBackups, home region):")
    backups = backups_of(stage, BackupKind.VOLUME, scene.volume_id)
    show_backups(backups, emulator_now(stage))
    step.expect(len(backups) == 1, "app-data has exactly one backup", len(backups))
    if not backups:
        return
    first = backups[0]
    scene.first_backup_id = first.id
    step.expect(str(first.type) == "FULL", "the first backup is FULL", first.type)
    step.expect(first.lifecycle_state in IN_PROGRESS_STATES, "and still in progress", first.lifecycle_state)
    step.expect(
        is_managed(first.freeform_tags) and first.freeform_tags.get("team") == "payments",
        "it carries the tool's marker and the volume's own tags",
        first.freeform_tags,
    )
    step.expect(first.display_name.startswith("app-data-full-"), "it is named app-data-full-<date>-<time>")


def step_copy_to_dr(stage: Stage, scene: Scene, step: Step) -> None:
    say("The backup finishes (the emulator clock moves on 60 s): OCI emits createvolumebackup.end.")
    stage.control.advance(60)
    deliveries = deliver(stage)
    ended = only(deliveries, "createvolumebackup.end")
    step.expect(
        len(ended) == 1 and ended[0].function is stage.functions["copy_backup"],
        "createvolumebackup.end was delivered to copy-backup",
        [d.event_type for d in deliveries],
    )
    outcome = ended[0].outcome if ended else None
    if outcome is None:
        return
    subheading("copy-backup answered:")
    show_items(outcome)
    copied = outcome.items(ItemStatus.COPIED)
    step.expect(
        len(copied) == 1 and copied[0].region == DR_REGION and copied[0].resource_id == scene.first_backup_id,
        f"it copied the backup to {DR_REGION}",
        outcome.summary,
    )
    say()
    if copied:
        say("The copy completes in the DR region (clock +60 s).")
    else:
        say("No copy was started; the clock moves on 60 s all the same.")
    stage.control.advance(60)
    deliver(stage, "Events (the functions' rules live in the home region):")
    subheading(f"The operator sees (ListVolumeBackups, {DR_REGION}):")
    copies = list(stage.storage(DR_REGION).list_backups(BackupKind.VOLUME, stage.compartment_id))
    show_backups(copies, emulator_now(stage))
    step.expect(len(copies) == 1, f"exactly one backup in {DR_REGION}", len(copies))
    if not copies:
        return
    copy = copies[0]
    step.expect(copy.copied_from == scene.first_backup_id, "it is a copy of app-data's first backup", copy.copied_from)
    step.expect(copy.lifecycle_state == LifecycleState.AVAILABLE, "it is AVAILABLE", copy.lifecycle_state)
    step.expect(
        copy.freeform_tags.get(SOURCE_KEY) == scene.first_backup_id
        and copy.freeform_tags.get(SOURCE_REGION_KEY) == HOME_REGION
        and is_managed(copy.freeform_tags),
        "it is tagged with its source backup and region",
        copy.freeform_tags,
    )


def step_group_retag(stage: Stage, scene: Scene, step: Step) -> None:
    say("The ERP team creates volumes erp-db and erp-logs (tag app=erp) and volume group erp of the two, tagged")
    say("backup=daily, app=erp, cost-center=cc-42. Whenever a backup of the group finishes, retag-group-backup")
    say("names it (a backup the tool made itself keeps its name) and gives it and its member backups the")
    say("group's tags and dr-tier=gold.")
    control = stage.control
    members = [
        str(control.create_volume(HOME_REGION, stage.compartment_id, name, freeform_tags={"app": "erp"})["id"])
        for name in ("erp-db", "erp-logs")
    ]
    group = control.create_volume_group(HOME_REGION, stage.compartment_id, "erp", members, freeform_tags=GROUP_TAGS)
    scene.group_id = str(group["id"])
    deliveries = deliver(stage)
    to_create = only(deliveries, "createvolume.end")
    step.expect(
        len(to_create) == 2 and all(not d.outcome or not d.outcome.items(ItemStatus.CREATED) for d in to_create),
        "the member volumes were not backed up on their own (they do not match SELECTOR)",
        [d.outcome.summary for d in to_create if d.outcome],
    )
    group_events = only(deliveries, "createvolumegroup.end")
    group_outcome = group_events[0].outcome if group_events else None
    made = group_outcome.items(ItemStatus.CREATED) if group_outcome else []
    step.expect(len(made) == 1, "createvolumegroup.end: create-backup started a backup of group erp")
    tool_backup = made[0].result_id if made and made[0].result_id else ""
    tool_name = (
        stage.storage().get_backup(BackupKind.VOLUME_GROUP, tool_backup).value.display_name if tool_backup else ""
    )

    say()
    say("That backup finishes (clock +60 s): OCI emits createvolumegroupbackup.end.")
    control.advance(60)
    outcome, copy_outcome = _retag_delivery(stage, step)
    if outcome is None:
        return
    step.expect(
        len(outcome.items(ItemStatus.UPDATED, "retag")) == 1
        and len(outcome.items(ItemStatus.UPDATED, "retag-member")) == 2,
        "it re-tagged the group backup and its 2 member backups",
        outcome.summary,
    )
    copied = copy_outcome.items(ItemStatus.COPIED) if copy_outcome else []
    step.expect(
        len(copied) == 1 and copied[0].resource_id == tool_backup and copied[0].region == DR_REGION,
        f"copy-backup copied the group backup (its member backups travel with it) to {DR_REGION}",
        copy_outcome.summary if copy_outcome else None,
    )
    _check_group_backup(stage, step, tool_backup, tool_name, renamed=False)

    say()
    say("The group's bronze backup policy takes its nightly backup; such backups come with a fixed name and")
    say("none of the team's tags. (Played with the operator's key: the emulator has no backup policies.)")
    policy_name = f"Auto-backup for {emulator_now(stage):%Y-%m-%d %H:%M} via policy: bronze"
    policy_backup = (
        stage.storage()
        .create_backup(
            BackupKind.VOLUME_GROUP,
            CreateVolumeGroupBackupDetails(
                volume_group_id=scene.group_id, display_name=policy_name, type=BackupType.INCREMENTAL
            ),
            new_retry_token(),
        )
        .value
    )
    say(f"  {policy_name!r} ({short_id(policy_backup.id)}) started; it finishes (clock +60 s).")
    control.advance(60)
    outcome, copy_outcome = _retag_delivery(stage, step)
    if outcome is None:
        return
    step.expect(
        len(outcome.items(ItemStatus.UPDATED, "retag")) == 1
        and len(outcome.items(ItemStatus.UPDATED, "retag-member")) == 2,
        "it renamed and re-tagged the policy's group backup and its 2 member backups",
        outcome.summary,
    )
    step.expect(
        copy_outcome is not None and len(copy_outcome.items(ItemStatus.SKIPPED)) == 1,
        "copy-backup left the policy's backup alone (COPY_SELECTOR: by default the tool's own backups)",
        copy_outcome.summary if copy_outcome else None,
    )
    _check_group_backup(stage, step, policy_backup.id, policy_name, renamed=True)

    _check_group_copy(stage, step, tool_backup)

    subheading('Resource Scheduler -> retag-group-backup  {"trigger": "schedule", "schedule": "retag-group-backup"}')
    again = stage.functions["retag_group_backup"].invoke({"trigger": "schedule", "schedule": "retag-group-backup"})
    show_items(again)
    step.expect(
        again.result is not None and not again.items(ItemStatus.UPDATED) and len(again.items(ItemStatus.SKIPPED)) == 2,
        "its nightly sweep finds both group backups already as wanted and changes nothing",
        again.summary,
    )


def _retag_delivery(stage: Stage, step: Step) -> tuple[Outcome | None, Outcome | None]:
    """Deliver the group backup's end event: (retag-group-backup's answer, copy-backup's answer)."""
    deliveries = deliver(stage)
    ended = only(deliveries, "createvolumegroupbackup.end")
    retag, copy = stage.functions["retag_group_backup"], stage.functions["copy_backup"]
    retagged = [d for d in ended if d.function is retag]
    copied = [d for d in ended if d.function is copy]
    step.expect(
        len(retagged) == 1 and len(copied) == 1,
        "createvolumegroupbackup.end was delivered to retag-group-backup and copy-backup",
        [(d.event_type, d.function.slug if d.function else None) for d in deliveries],
    )
    outcomes: list[Outcome | None] = []
    for name, found in (("retag-group-backup", retagged), ("copy-backup", copied)):
        outcome = found[0].outcome if found else None
        if outcome is not None:
            subheading(f"{name} answered:")
            show_items(outcome)
        outcomes.append(outcome)
    return outcomes[0], outcomes[1]


def _check_group_copy(stage: Stage, step: Step, source_id: str) -> None:
    dr = stage.storage(DR_REGION)
    copies = [c for c in dr.list_backups(BackupKind.VOLUME_GROUP, stage.compartment_id) if c.copied_from]
    subheading(f"The operator sees (ListVolumeGroupBackups, {DR_REGION}; the copies finished meanwhile):")
    rows = []
    for copy in copies:
        assert isinstance(copy, VolumeGroupBackup)
        rows.append((copy.display_name, short_id(copy.id), copy.lifecycle_state, len(copy.volume_backup_ids)))
    say(table(["GROUP BACKUP", "ID", "STATE", "MEMBER BACKUPS"], rows))
    only_copy = copies[0] if len(copies) == 1 else None
    step.expect(
        isinstance(only_copy, VolumeGroupBackup)
        and only_copy.copied_from == source_id
        and only_copy.lifecycle_state == LifecycleState.AVAILABLE
        and len(only_copy.volume_backup_ids) == 2
        and only_copy.freeform_tags.get(SOURCE_KEY) == source_id,
        f"one AVAILABLE copy of the tool's group backup in {DR_REGION}, with its 2 member backups, "
        "tagged with its source",
        [(c.display_name, c.lifecycle_state) for c in copies],
    )


def _check_group_backup(stage: Stage, step: Step, backup_id: str, old_name: str, *, renamed: bool) -> None:
    storage = stage.storage()
    group_backup = storage.get_backup(BackupKind.VOLUME_GROUP, backup_id).value
    assert isinstance(group_backup, VolumeGroupBackup)
    members = [storage.get_backup(BackupKind.VOLUME, i).value for i in group_backup.volume_backup_ids]
    subheading("The operator sees (GetVolumeGroupBackup, GetVolumeBackup for each member):")
    wanted = {**GROUP_TAGS, **RETAG_TAGS, "backup-retagged-by": "oci-block-backup"}
    shown = ["app", "cost-center", "dr-tier", "backup-retagged-by"]
    say(
        table(
            ["BACKUP", "ID", "STATE", *shown],
            [
                (b.display_name, short_id(b.id), b.lifecycle_state, *(b.freeform_tags.get(k) for k in shown))
                for b in [group_backup, *members]
            ],
        )
    )
    if renamed:
        created = group_backup.time_created
        expected = f"erp-{str(group_backup.type).lower()}-{created:%Y-%m-%d-%H%M}"
        step.expect(
            group_backup.display_name == expected,
            f"the group backup is now named {expected}",
            group_backup.display_name,
        )
        step.expect(
            group_backup.freeform_tags.get("backup-original-name") == old_name,
            "it keeps its original name in the backup-original-name tag",
            group_backup.freeform_tags.get("backup-original-name"),
        )
    else:
        step.expect(
            group_backup.display_name == old_name,
            f"the tool's own backup keeps its name {old_name}",
            group_backup.display_name,
        )
    step.expect(len(members) == 2, "it has 2 member backups", len(members))
    step.expect(
        all(all(b.freeform_tags.get(k) == v for k, v in wanted.items()) for b in [group_backup, *members]),
        "the group backup and both members carry the group's tags, dr-tier=gold and the retag marker",
    )


def step_scheduled_sweep(stage: Stage, scene: Scene, step: Step) -> None:
    say("The Resource Scheduler starts create-backup's nightly sweep of compartment prod: every AVAILABLE")
    say(f"volume or group matching SELECTOR {SELECTOR} is backed up, then the tool's own backups older than")
    say(f"{RETENTION_DAYS} days are deleted (RETENTION_DAYS={RETENTION_DAYS}; the newest always stays), unless a")
    say("lock forbids it: a locked backup is never sent a delete.")
    expected_sources = {v.id for v in scene.fleet if v.tagged} | {scene.volume_id, scene.group_id, scene.legacy_id}
    locked = {v.locked for v in scene.fleet if v.locked}
    expected_deleted = {b for v in scene.fleet for b, days in v.seeded.items() if days > RETENTION_DAYS} - locked
    function = stage.functions["create_backup"]
    subheading('Resource Scheduler -> create-backup  {"trigger": "schedule", "schedule": "create-backup"}')
    outcome = function.invoke({"trigger": "schedule", "schedule": "create-backup"})
    scene.sweep = outcome
    show_items(outcome)
    created = {i.resource_id for i in outcome.items(ItemStatus.CREATED, "backup")}
    deleted = {i.resource_id for i in outcome.items(ItemStatus.DELETED, "prune")}
    step.expect(
        created == expected_sources,
        f"it backed up the {len(expected_sources)} matching sources (4 web volumes, db-legacy, app-data, group erp)",
        outcome.summary,
    )
    step.expect(
        deleted == expected_deleted,
        f"it deleted the {len(expected_deleted)} unlocked backups of the tool older than {RETENTION_DAYS} days",
        sorted(short_id(i) for i in deleted ^ expected_deleted),
    )
    kept = {i.resource_id: i.reason or "" for i in outcome.items(ItemStatus.SKIPPED, "prune")}
    step.expect(
        set(kept) == locked and all("locked until" in reason for reason in kept.values()),
        f"{LOCKED_VOLUME}'s {LOCKED_AGE_DAYS}-day-old backup is past retention but locked: kept, reported skipped "
        "(locked until ...)",
        kept,
    )
    step.expect(
        outcome.result is not None and not outcome.result.has_failures and outcome.result.locked_kept == len(locked),
        f"nothing failed, and the result counts {len(locked)} locked backup among the kept (lockedKept)",
        outcome.summary,
    )
    subheading("The operator sees (ListVolumeBackups per volume):")
    now = emulator_now(stage)
    rows = []
    all_ok = True
    for volume in scene.fleet:
        backups = backups_of(stage, BackupKind.VOLUME, volume.id)
        live = [b for b in backups if b.lifecycle_state not in GONE_STATES]  # a delete passes TERMINATING
        new = [b for b in live if b.lifecycle_state in IN_PROGRESS_STATES]
        kept_ages = ages_youngest_first([b for b in live if b.lifecycle_state == LifecycleState.AVAILABLE], now)
        gone = [b for b in backups if b.lifecycle_state in GONE_STATES]
        rows.append((volume.name, volume.tagged, len(new), ", ".join(kept_ages) or "-", len(gone)))
        expect_new = 1 if volume.tagged else 0
        expect_gone = {b for b, d in volume.seeded.items() if d > RETENTION_DAYS} - locked
        all_ok &= len(new) == expect_new and {b.id for b in gone} == expect_gone
        if volume.manual:
            all_ok &= any(b.id == volume.manual and b.lifecycle_state == LifecycleState.AVAILABLE for b in backups)
    say(table(["VOLUME", "MATCHES", "NEW BACKUP", "KEPT (AVAILABLE, AGE)", "DELETED"], rows))
    step.expect(
        all_ok,
        "each web volume: one new backup, the 1- and 8-day-old kept, the 40- and 75-day-old deleted (but "
        f"{LOCKED_VOLUME}'s locked {LOCKED_AGE_DAYS}-day-old one); web-01's manual backup untouched; "
        "scratch-01 not backed up",
    )
    deliver(stage, "Events since the sweep:")


def step_http(stage: Stage, scene: Scene, step: Step) -> None:
    scratch = next(v for v in scene.fleet if v.name == "scratch-01")
    function = stage.functions["create_backup"]
    body = {"volumeId": scratch.id}
    say("An operator asks for an on-demand backup of scratch-01 through API Gateway:")
    say(f'POST /backup/create-backup {{"volumeId": "{short_id(scratch.id)}"}}')
    _, mark = stage.control.events_page(0)
    subheading("Without the gateway's authentication headers:")
    refused = function.http(body, headers={})
    say(f"  HTTP {refused.status}  {json.dumps(refused.document)}")
    error = refused.document.get("error", {})
    step.expect(
        refused.status == 401 and isinstance(error, dict) and error.get("field") == "authorization",
        "401, naming the authorization",
        refused.status,
    )
    step.expect(not stage.control.events_page(mark)[0], "nothing was written", "events were recorded")
    subheading("With them (X-Gateway-Token, X-Auth-Subject set by the gateway after authentication):")
    accepted = function.http(body, headers=GATEWAY_HEADERS)
    say(f"  HTTP {accepted.status}  {accepted.summary}")
    show_items(accepted)
    made = accepted.items(ItemStatus.CREATED)
    step.expect(accepted.status == 200 and len(made) == 1, "200, one backup started", accepted.summary)
    backups = backups_of(stage, BackupKind.VOLUME, scratch.id)
    step.expect(
        len(backups) == 1 and backups[0].freeform_tags.get(TRIGGER_KEY) == "http",
        "scratch-01 now has one backup, marked as made from an HTTP call (SELECTOR applies to sweeps, not to requests)",
        [(b.display_name, b.freeform_tags.get(TRIGGER_KEY)) for b in backups],
    )


def show_posture(posture: ProtectionPosture | None, now: datetime) -> None:
    if posture is None:
        say("  (no posture in the result)")
        return
    say(f"  {posture.protected} of {posture.resources} resources protected within {posture.rpo_hours} h; unprotected:")
    say(
        table(
            ["RESOURCE", "KIND", "LAST AVAILABLE BACKUP"],
            [
                (
                    u.name,
                    u.kind,
                    f"{(now - u.last_backup_at).total_seconds() / 3600:.0f} h ago" if u.last_backup_at else "never",
                )
                for u in posture.unprotected
            ],
        )
    )


def show_posture_metrics(stage: Stage) -> None:
    names = ("resources_protected", "resources_unprotected", "backup_headroom_days")
    say(table(["METRIC", "LATEST VALUE"], [(name, latest_metric(stage, name)) for name in names]))


def latest_metric(stage: Stage, name: str, function: str = "create-backup") -> float | None:
    """The newest datapoint ``function`` posted for ``name`` (what a Monitoring chart shows last)."""
    posted = [m for m in stage.control.metrics() if m["name"] == name and m["dimensions"].get("function") == function]
    return float(posted[-1]["datapoints"][-1]["value"]) if posted else None


def alarm_firing(stage: Stage, alarm: AlarmModel) -> bool | None:
    """The alarm's query now: the statistic over create-backup's datapoints in the last window (None: none)."""
    points = [
        (datetime.fromisoformat(point["timestamp"].replace("Z", "+00:00")), float(point["value"]))
        for posted in stage.control.metrics()
        if posted["name"] == alarm.metric and posted["dimensions"].get("function") == "create-backup"
        for point in posted["datapoints"]
    ]
    if not points:
        return None
    newest = max(at for at, _ in points)
    window = [value for at, value in points if (newest - at).total_seconds() < alarm.window_hours * 3600]
    return alarm.statistic(window) > 0


def protection_line(stage: Stage, prefix: str = "Protection:") -> str:
    """The posture line (or another, by its start) of the newest create-backup schedule digest on the topic."""
    for message in reversed(stage.control.messages(HOME_REGION, stage.topic_id)):
        if str(message.get("title", "")).startswith(
            ("[ok] create-backup (schedule, ", "[FAILED] create-backup (schedule, ")
        ):
            body = str(message.get("body") or "")
            return next((line for line in body.splitlines() if line.startswith(prefix)), "")
    return ""


def step_posture(stage: Stage, scene: Scene, step: Step) -> None:
    say(f"Every sweep also measures protection (RPO_HOURS={RPO_HOURS}): a resource in scope is protected when")
    say(f"it has an AVAILABLE backup taken within {RPO_HOURS} h, whoever made it. db-legacy carries backup=daily,")
    say(f"but its last backup (by a backup policy since removed) is {LEGACY_AGE_DAYS} days old. The sweep measures")
    say("from what it lists anyway (no call of its own); the result, the digest and Monitoring carry it.")
    sweep = scene.sweep.result if scene.sweep else None
    before = scene.sweep.posture if scene.sweep else None
    subheading('Step 4\'s sweep measured it before backing anything up (result document, "posture"):')
    show_posture(before, sweep.started_at if sweep else emulator_now(stage))
    step.expect(
        before is not None and [u.resource_id for u in before.unprotected] == [scene.legacy_id],
        "the sweep's result lists db-legacy as the one unprotected resource",
        [u.name for u in before.unprotected] if before else None,
    )
    line = protection_line(stage)
    subheading("Its digest, in one line:")
    say(f"  {line}")
    step.expect(
        f"unprotected: db-legacy (last backup {LEGACY_AGE_DAYS} d ago)" in line,
        "the digest names db-legacy and the age of its last backup",
        line,
    )
    headroom = protection_line(stage, "Backup limit:")
    subheading("And how far the tenancy is from its backup limit (the Limits service's figures), in one line:")
    say(f"  {headroom}")
    step.expect(
        "(Limits service)" in headroom and "at this retention the tenancy never reaches 100,000 backups" in headroom,
        "the digest says the tenancy never reaches its backup limit at this retention",
        headroom,
    )
    subheading("Monitoring (PostMetricData, namespace block_backup, function=create-backup) received:")
    show_posture_metrics(stage)
    unprotected = latest_metric(stage, "resources_unprotected")
    firing = alarm_firing(stage, UNPROTECTED_ALARM)
    step.expect(
        unprotected == 1 and firing is True, "resources_unprotected = 1: the unprotected alarm fires", unprotected
    )
    say()
    say("The sweep started a backup of db-legacy (in progress: not counted yet); it finishes (clock +60 s).")
    stage.control.advance(60)
    deliver(stage, "Events (the sweep's backups finished; copy-backup copies them, as in step 2):")
    body = {"trigger": "schedule", "schedule": "create-backup", "dryRun": True}
    subheading(f"Resource Scheduler -> create-backup  {json.dumps(body)}")
    again = stage.functions["create_backup"].invoke(body)
    say(f"  {again.summary} (every resource already has this slot's backup)")
    after = again.posture
    show_posture(after, emulator_now(stage))
    total = before.resources if before else 0
    step.expect(
        after is not None and after.protected == after.resources == total and not after.unprotected,
        f"the next run counts db-legacy protected: all {total} resources within {RPO_HOURS} h",
        f"{after.protected} of {after.resources}" if after else None,
    )
    line = protection_line(stage)
    say(f"  digest: {line}")
    step.expect(line == f"Protection: {total} of {total} protected within {RPO_HOURS} h", "its digest says so", line)
    show_posture_metrics(stage)
    unprotected = latest_metric(stage, "resources_unprotected")
    firing = alarm_firing(stage, UNPROTECTED_ALARM)
    step.expect(
        unprotected == 0 and firing is False,
        f"resources_unprotected = 0: the alarm clears (its query, the least value over "
        f"{UNPROTECTED_ALARM.window_hours} h, is 0 once a run finds the fleet protected)",
        unprotected,
    )


# --- step 7: restore tests -------------------------------------------------------------------------


def restore_fleet(stage: Stage) -> dict[str, str]:
    """The payments stack, tagged for restore drills: name -> the backup a test restores."""
    control, compartment = stage.control, stage.compartment_id
    drill = {"restore-drill": "yes"}
    db = control.create_volume(HOME_REGION, compartment, "pay-db", size_in_gbs=200, freeform_tags=drill)
    web = control.create_boot_volume(HOME_REGION, compartment, "pay-web", size_in_gbs=50, freeform_tags=drill)
    members = [control.create_volume(HOME_REGION, compartment, f"pay-data-{n}", size_in_gbs=100)["id"] for n in (1, 2)]
    group = control.create_volume_group(HOME_REGION, compartment, "pay-vg", members, freeform_tags=drill)
    cache = control.create_volume(HOME_REGION, compartment, "pay-cache", size_in_gbs=100, freeform_tags=drill)
    return {
        "pay-db": str(control.seed_backup(HOME_REGION, db["id"], display_name="pay-db-nightly")["id"]),
        "pay-web": str(control.seed_backup(HOME_REGION, web["id"], boot=True, display_name="pay-web-nightly")["id"]),
        "pay-vg": str(control.seed_group_backup(HOME_REGION, group["id"], display_name="pay-vg-nightly")["id"]),
        # a backup that does not restore (the emulator's restoreFails switch)
        "pay-cache": str(
            control.seed_backup(HOME_REGION, cache["id"], display_name="pay-cache-nightly", restore_fails=True)["id"]
        ),
    }


def sandbox_left(stage: Stage) -> list[tuple[str, str, str]]:
    """What the sandbox still holds (name, kind, state), read by the operator."""
    from shared.oci.restores import list_restored

    storage = stage.storage()
    return [
        (r.display_name, kind.word, str(r.lifecycle_state))
        for kind in BackupKind
        for r in list_restored(storage, kind, stage.sandbox_id)
    ]


def step_restore_tests(stage: Stage, scene: Scene, step: Step) -> None:
    say("restore-backup proves that backups restore. The payments stack carries restore-drill=yes: a volume")
    say("(pay-db, 200 GB), a boot volume (pay-web), a volume group (pay-vg, two volumes) and pay-cache, whose")
    say("backup the emulator is told will come up FAULTY. None has ever been restore-tested.")
    backups = restore_fleet(stage)
    deliver(stage, "Events (the new volumes: create-backup's rule matches, its SELECTOR leaves them out):")
    restore = stage.functions["restore_backup"]
    body: dict[str, object] = {"trigger": "schedule", "schedule": "restore-backup"}
    subheading(f"Resource Scheduler -> restore-backup  {json.dumps(body)}")
    first = restore.invoke(body)
    say(f"  {first.summary}")
    show_items(first)
    started = first.items(ItemStatus.STARTED)
    step.expect(
        sorted(i.resource_id for i in started) == sorted(backups.values()),
        "it started one test restore per resource, into the sandbox compartment",
        len(started),
    )
    say()
    say(f"The restores run (clock +{RESTORE_CLOCK_SECONDS} s); each test resource's create*.end reaches restore-backup")
    say("through the sandbox's own Events rule, which checks it, deletes it and records the result on its backup.")
    stage.control.advance(RESTORE_CLOCK_SECONDS)
    deliveries = deliver(stage, "Events (the sandbox's rule -> restore-backup):")
    checked = [d.outcome for d in deliveries if d.function is restore and d.outcome]
    verified = [i for o in checked for i in o.items(ItemStatus.VERIFIED)]
    failed = [i for o in checked for i in o.items(ItemStatus.FAILED)]
    deleted = [i for o in checked for i in o.items(ItemStatus.DELETED)]
    say(
        table(
            ["RESULT", "RESOURCE", "BACKUP", "SECONDS TO AVAILABLE", "REASON"],
            [
                (i.status.value, i.name, short_id(i.resource_id), i.restore_seconds, i.reason or "-")
                for i in sorted(verified + failed, key=lambda i: i.name or "")
            ],
        )
    )
    step.expect(
        sorted(i.resource_id for i in verified) == sorted(backups[n] for n in ("pay-db", "pay-web", "pay-vg")),
        "the volume, the boot volume and the group restored and passed their checks",
        [i.name for i in verified],
    )
    step.expect(
        [(i.resource_id, i.reason) for i in failed] == [(backups["pay-cache"], "FAULTY")],
        "pay-cache's restore is reported failed: FAULTY",
        [(i.name, i.reason) for i in failed],
    )
    left = sandbox_left(stage)
    subheading("The sandbox compartment, as the operator reads it:")
    say(table(["TEST RESOURCE", "KIND", "STATE"], left))
    step.expect(
        len(deleted) == 4 and all(state in ("TERMINATING", "TERMINATED") for _, _, state in left),
        "every test resource is deleted (a group with its volumes)",
        left,
    )
    recorded = {
        name: stage.storage().get_backup(BackupKind.of_ocid(bid) or BackupKind.VOLUME, bid).value.freeform_tags
        for name, bid in backups.items()
    }
    subheading("Recorded on each source backup (freeform tags):")
    say(
        table(
            ["BACKUP OF", "restore-result", "restore-seconds", "restore-verified-at"],
            [
                (n, t.get("restore-result"), t.get("restore-seconds"), t.get("restore-verified-at"))
                for n, t in recorded.items()
            ],
        )
    )
    step.expect(
        recorded["pay-cache"].get("restore-result") == "failed:FAULTY"
        and all(recorded[n].get("restore-result") == "verified" for n in ("pay-db", "pay-web", "pay-vg")),
        "the results are on the backups themselves (no store of the tool's own)",
    )
    failed_metric = max(
        (m["datapoints"][-1]["value"] for m in stage.control.metrics()
         if m["name"] == "restores_failed" and m["dimensions"].get("kind") == "volume"),
        default=None,
    )  # fmt: skip
    step.expect(failed_metric == 1, "restores_failed = 1 (kind volume): the failed-restore alarm fires", failed_metric)
    say()
    body = {"trigger": "schedule", "schedule": "restore-backup", "dryRun": True}
    subheading(f"The next run (a dry run)  {json.dumps(body)}: the restore posture")
    again = restore.invoke(body)
    say(f"  {again.summary} (pay-cache is due again; a dry run only plans it)")
    posture = again.document.get("restorePosture", {})
    say(f"  {json.dumps(posture)}")
    step.expect(
        (posture.get("resources"), posture.get("verified")) == (4, 3)
        and [u.get("name") for u in posture.get("unverified", [])] == ["pay-cache"]
        and set(posture.get("restoreSeconds", {})) == {"volume", "bootvolume", "volumegroup"},
        "the posture counts 3 of 4 restore-verified, with times by kind",
        posture,
    )
    line = next((ln for ln in digest_lines(stage) if ln.startswith("Restore tests:")), "")
    say(f"  digest: {line}")
    step.expect(
        line.startswith("Restore tests: 3 of 4 restore-verified within 30 days; failed: pay-cache (backup ")
        and "came up FAULTY" in line
        and "median restore" in line,
        "its digest says so at a glance",
        line,
    )


def digest_lines(stage: Stage) -> list[str]:
    """The human lines of the newest notification on the topic."""
    messages = stage.control.messages(HOME_REGION, stage.topic_id)
    return human_part(str(messages[-1].get("body") or "")).splitlines() if messages else []


StepFunction = Callable[[Stage, Scene, Step], None]
STEPS: list[tuple[str, StepFunction]] = [
    ("A volume is created and gets its first backup", step_new_volume),
    ("The backup finishes and is copied to the DR region", step_copy_to_dr),
    ("A volume group backup is re-tagged with its members and copied to the DR region", step_group_retag),
    ("A scheduled sweep backs up the fleet and prunes by retention; a locked backup stays", step_scheduled_sweep),
    ("A manual HTTP call, without and with credentials", step_http),
    ("Protection posture: an unprotected volume is found, backed up, then counted", step_posture),
    ("Restore tests: a volume, a boot volume and a group restore; a FAULTY one is reported", step_restore_tests),
]
