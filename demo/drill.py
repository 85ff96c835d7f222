"""The demo's recovery drill: the home region is declared lost and the ledger stack comes back in the DR
region from the tool's copies, planned, applied, applied again (nothing twice), its progress read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from demo.report import Step, say, short_id, subheading, table
from demo.scenario import Scene, digest_lines
from demo.stage import DR_REGION, GATEWAY_HEADERS, HOME_REGION, Outcome, Stage
from shared.rules.recovery import ALL_NEWER, recovery_point_text

HOUR = 3600.0
LOST = ("ListVolumeBackups", "ListBootVolumeBackups", "ListVolumeGroupBackups", "GetVolume", "GetVolumeBackup")
RESTORES_SECONDS = 400  # the emulator restores 200 GB in 60 s + 1.5 s/GB = 360 s
CREATES = ("CreateVolume", "CreateBootVolume", "CreateVolumeGroup")


def ledger_stack(stage: Stage, compartment: str) -> dict[str, str]:
    """The ledger stack and its backups, taken in the (real) past: name -> backup id."""
    control = stage.control
    behind = float(control.clock()["offsetSeconds"])  # the emulator's clock runs ahead of the functions'
    db = control.create_volume(HOME_REGION, compartment, "ledger-db", size_in_gbs=200)
    app = control.create_boot_volume(HOME_REGION, compartment, "ledger-app", size_in_gbs=50)
    members = [
        control.create_volume(HOME_REGION, compartment, f"ledger-data-{n}", size_in_gbs=100)["id"] for n in (1, 2)
    ]
    group = control.create_volume_group(HOME_REGION, compartment, "ledger-vg", members)
    queue = control.create_volume(HOME_REGION, compartment, "ledger-queue", size_in_gbs=50)

    def ago(hours: float) -> float:
        return behind + hours * HOUR

    seed = control.seed_backup
    return {
        "ledger-db (yesterday)": str(
            seed(HOME_REGION, db["id"], display_name="ledger-db-1", age_seconds=ago(26))["id"]
        ),
        "ledger-db": str(seed(HOME_REGION, db["id"], display_name="ledger-db-2", age_seconds=ago(3))["id"]),
        "ledger-app": str(
            seed(HOME_REGION, app["id"], boot=True, display_name="ledger-app-1", age_seconds=ago(5))["id"]
        ),
        "ledger-vg": str(
            control.seed_group_backup(HOME_REGION, group["id"], display_name="ledger-vg-1", age_seconds=ago(4))["id"]
        ),
        "ledger-queue": str(seed(HOME_REGION, queue["id"], display_name="ledger-queue-1", age_seconds=ago(0.5))["id"]),
    }


def quiet(stage: Stage, handler: str, body: dict[str, Any]) -> Outcome:
    """A read-only question over API Gateway (answered, nothing published: not one of the step's runs)."""
    process = stage.functions[handler].process
    return Outcome.of(process.http(body, url=f"/backup/{handler.replace('_', '-')}", headers=GATEWAY_HEADERS))


def creates(stage: Stage) -> int:
    calls = stage.control.calls()
    return sum(calls.get(f"{DR_REGION} {operation}", 0) for operation in CREATES)


def step_recovery_drill(stage: Stage, scene: Scene, step: Step) -> None:
    control = stage.control
    ledger = str(control.create_compartment("ledger", parent_id=stage.compartment_id)["id"])  # in the functions' scope
    say("The ledger stack (compartment ledger): ledger-db (200 GB, backed up 26 h and 3 h ago), ledger-app (boot")
    say("volume, 5 h ago), ledger-vg (two volumes, a group backup 4 h ago) and ledger-queue (30 min ago).")
    backups = ledger_stack(stage, ledger)
    subheading("copy-backup copies each backup to the DR region (HTTP, one call per backup):")
    copy = stage.functions["copy_backup"]
    copied = [copy.http({"backupId": backup_id}, GATEWAY_HEADERS) for backup_id in backups.values()]
    say(table(["BACKUP OF", "ANSWER"], [(name, o.summary) for name, o in zip(backups, copied, strict=True)]))
    control.advance(60)  # the copies become AVAILABLE in the DR region
    say()
    say(f"Disaster: {HOME_REGION} is declared lost (every backup listing there now fails).")
    injected = control.fault_rules()  # a fault the demo was started with stays
    control.faults(
        [*injected, *({"operation": op, "region": HOME_REGION, "errorRate": 1.0, "status": 503} for op in LOST)]
    )
    point = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    recover = {
        "region": DR_REGION,
        "compartmentId": ledger,
        "pointInTime": point.isoformat(),
        "targetCompartmentId": stage.recovery_id,
    }
    try:
        _drill(stage, step, backups, recover, point)
    finally:
        control.faults(injected)


def _drill(stage: Stage, step: Step, backups: dict[str, str], recover: dict[str, Any], point: datetime) -> None:
    restore = stage.functions["restore_backup"]
    subheading(f"1. Plan (read-only): POST /backup/restore-backup {json.dumps({'recover': recover})[:110]}...")
    planned = quiet(stage, "restore_backup", {"recover": recover})
    plan = planned.document.get("recovery", {})
    say(f"  HTTP {planned.status}, planId {plan.get('planId')}")
    sources = plan.get("sources", [])
    say(
        table(
            ["SOURCE", "CREATES", "FROM (DR COPY)", "TAKEN", "RECOVERY POINT", "GB"],
            [
                (
                    s["name"],
                    s["creates"] + (f" + {len(s['members'])} volumes" if s["members"] else ""),
                    short_id(s["backupId"]),
                    s["backupTime"][:19],
                    recovery_point_text(s["achievedRecoveryPointSeconds"]),
                    s["sizeInGBs"],
                )
                for s in sources
            ],
        )
    )
    unusable = plan.get("unusable", [])
    say(table(["NO USABLE BACKUP", "REASON"], [(u["name"], u["reason"]) for u in unusable]))
    say(f"  totals {json.dumps(plan.get('totals', {}))}")
    say(f"  cost: {plan.get('cost')}")
    by_name = {s["name"].split(" ")[0]: s for s in sources}  # a copy's name: "<backup name> (DR copy from ...)"
    step.expect(
        planned.status == 200 and sorted(by_name) == ["ledger-app-1", "ledger-db-2", "ledger-vg-1"],
        "the plan restores ledger-db, ledger-app and ledger-vg, each from its newest copy before the point in time",
        sorted(by_name),
    )
    group = by_name.get("ledger-vg-1", {})
    step.expect(
        group.get("creates") == "volumeGroup" and len(group.get("members", [])) == 2,
        "ledger-vg comes back whole from its group backup (crash-consistent), with its two volumes",
        group,
    )
    step.expect(
        [(u.get("name", "").split(" ")[0], u.get("reason")) for u in unusable] == [("ledger-queue-1", ALL_NEWER)],
        "ledger-queue is named: its only backup was taken after the point in time",
        unusable,
    )
    subheading("2. Apply, by an operator listed in RECOVERY_ALLOWED_SUBJECTS (with the planId):")
    apply = {"recover": {**recover, "planId": plan.get("planId")}}
    applied = restore.http(apply, GATEWAY_HEADERS)
    say(f"  HTTP {applied.status}  {applied.summary}")
    say(
        table(
            ["SOURCE", "NEW RESOURCE", "STATUS", "DETAIL"],
            [(i.name, short_id(i.result_id), i.status.value, i.reason) for i in applied.items()],
        )
    )
    made = creates(stage)
    step.expect(
        applied.status == 200 and applied.result is not None and applied.result.counts == {"created": 3},
        "one volume, one boot volume and one volume group created in the recovery compartment",
        applied.summary,
    )
    stage.control.advance(RESTORES_SECONDS)
    subheading(f"3. Progress after the restores ran (clock +{RESTORES_SECONDS} s), read-only:")
    progress = quiet(stage, "restore_backup", {**apply, "status": True}).document.get("recoveryProgress", {})
    say(
        table(
            ["SOURCE", "KIND", "RESOURCE", "STATE", "RESTORE SECONDS (AT MOST)"],
            [
                (short_id(r["sourceId"]), r["kind"], short_id(r["resourceId"]), r["state"], r.get("restoreSeconds"))
                for r in progress.get("resources", [])
            ],
        )
    )
    step.expect(
        progress.get("counts") == {"created": 3, "available": 3, "failed": 0},
        "the volume, the boot volume and the group are AVAILABLE",
        progress.get("counts"),
    )
    subheading("4. The same apply again (a retry, a second operator):")
    again = restore.http(apply, GATEWAY_HEADERS)
    say(f"  HTTP {again.status}  {again.summary}")
    step.expect(
        again.result is not None and again.result.counts == {"skipped": 3} and creates(stage) == made,
        "it creates nothing twice",
        again.summary,
    )
    line = next((ln for ln in digest_lines(stage) if ln.startswith("Applied recovery")), "")
    say(f"  digest: {line}")
    step.expect(
        "worst recovery point" in line and DR_REGION in line,
        "the report says what point in time was achieved",
        line,
    )
