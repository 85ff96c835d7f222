"""The posture rules (shared/posture.py) and the metrics built from a result (shared/metrics.py), without I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from shared.metrics import run_metrics
from shared.oci.models import MessageDetails
from shared.oci.monitoring import MAX_STREAMS_PER_CALL
from shared.oci.notifications import MAX_MESSAGE_BYTES, message_size
from shared.posture import LIST_LIMIT, Coverage, DrPosture, destination_posture, protection_posture
from shared.results import Item, ItemStatus, Report, digest

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def coverage(name: str, hours: float | None) -> Coverage:
    last = None if hours is None else NOW - timedelta(hours=hours)
    return Coverage(f"ocid1.volume.oc1.iad.{name}", name, "volume", "ocid1.compartment.oc1..c", last)


def test_worst_first_and_the_rpo_boundary() -> None:
    posture = protection_posture(
        [coverage("ok", 23.9), coverage("edge", 24.0), coverage("late", 25), coverage("old", 300), coverage("b", None)],
        24,
        NOW,
    )
    assert (posture.resources, posture.protected) == (5, 2)
    assert [u.name for u in posture.unprotected] == ["b", "old", "late"]


def test_long_lists_are_cut_and_counted() -> None:
    many = [coverage(f"v{n:05d}", None if n % 2 else 100 + n) for n in range(3000)]
    posture = protection_posture(many, 24, NOW)
    assert len(posture.unprotected) == LIST_LIMIT and posture.unprotected_not_listed == 3000 - LIST_LIMIT
    assert all(u.last_backup_at is None for u in posture.unprotected)  # the never-backed-up come first
    dr = destination_posture(many, 24, NOW)
    assert (dr.sources, dr.protected, dr.unprotected_not_listed) == (3000, 0, 3000 - LIST_LIMIT)


def test_digest_posture_section_is_short_and_fits() -> None:
    report = Report("create_backup", "schedule", False, NOW)
    for n in range(3000):
        report.add(Item(status=ItemStatus.CREATED, action="backup", resource_id=f"ocid1.volume.oc1.iad.{n:060d}"))
    fleet = [coverage(f"web-{n:04d}", 31 if n < 2 else 1) for n in range(118)] + [coverage("db-02", None)]
    report.add_section(protection_posture(fleet, 24, NOW))
    names = [coverage(f"vm-{n:03d}", None) for n in range(40)]
    regions = {f"region-{n}": destination_posture(names, 24, NOW) for n in range(3)}
    report.add_section(DrPosture(rpo_hours=12, destinations=regions))
    title, body = digest(report.finish(NOW))
    assert message_size(MessageDetails(title=title, body=body)) < MAX_MESSAGE_BYTES
    assert (
        "Protection: 116 of 119 protected within 24 h; unprotected: db-02 (never), "
        "web-0000 (last backup 31 h ago), web-0001 (last backup 31 h ago)"
    ) in body.splitlines()
    dr_line = next(line for line in body.splitlines() if line.startswith("DR protection in region-0"))
    assert dr_line.startswith("DR protection in region-0: 0 of 40 protected within 12 h; unprotected: vm-000 (never)")
    assert dr_line.endswith(", and 30 more")


def test_never_stays_null_in_the_document() -> None:
    report = Report("create_backup", "schedule", True, NOW)
    report.add_section(protection_posture([coverage("never", None)], 24, NOW))
    document = json.loads(report.finish(NOW).to_json())  # the document drops other nulls
    assert document["posture"]["unprotected"][0]["lastBackupAt"] is None
    assert "error" not in document


def test_metrics_of_a_run() -> None:
    report = Report("copy_backup", "schedule", False, NOW)
    report.add(Item(status=ItemStatus.COPIED, action="copy", resource_id="b1"))
    report.add(Item(status=ItemStatus.COPIED, action="copy", resource_id="b2"))
    report.add(Item(status=ItemStatus.DEFERRED, action="copy", resource_id="b3"))
    view = destination_posture([coverage("a", 1), coverage("b", None)], 24, NOW)
    report.add_section(DrPosture(rpo_hours=24, destinations={"us-phoenix-1": view}))
    streams = run_metrics(report.finish(NOW), "block_backup", "ocid1.compartment.oc1..c", "us-ashburn-1")
    got = {(m.name, tuple(sorted(m.dimensions.items()))): m.datapoints[0].value for m in streams}
    base = (("function", "copy-backup"),)
    assert got == {
        ("run_items", (*base, ("status", "copied"), ("trigger", "schedule"))): 2.0,
        ("run_items", (*base, ("status", "deferred"), ("trigger", "schedule"))): 1.0,
        ("run_items", (*base, ("status", "failed"), ("trigger", "schedule"))): 0.0,
        ("run_failed", (*base, ("trigger", "schedule"))): 0.0,
        ("dr_sources_protected", (("destination", "us-phoenix-1"), *base, ("region", "us-ashburn-1"))): 1.0,
        ("dr_sources_unprotected", (("destination", "us-phoenix-1"), *base, ("region", "us-ashburn-1"))): 1.0,
    }
    assert all(m.datapoints[0].timestamp == NOW for m in streams)
    assert len(streams) <= MAX_STREAMS_PER_CALL
