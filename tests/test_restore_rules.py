"""The pure rules of a restore test (shared/rules/restore.py): pick, markers, guards, checks, record, expiry."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from shared.rules import restore as rules
from shared.rules import times

NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
SANDBOX = "ocid1.compartment.oc1..sandbox"


class B(NamedTuple):
    id: str
    time_created: datetime
    lifecycle_state: str = "AVAILABLE"


BACKUPS = [
    B("b-old", NOW - timedelta(days=20)),
    B("b-mid", NOW - timedelta(days=10)),
    B("b-new", NOW - timedelta(days=1)),
    B("b-busy", NOW, "CREATING"),
    B("b-faulty", NOW - timedelta(days=30), "FAULTY"),
]


def test_pick_takes_only_available_backups() -> None:
    assert rules.pick_backup(BACKUPS, rules.Pick.LATEST) == BACKUPS[2]
    assert rules.pick_backup(BACKUPS, rules.Pick.OLDEST) == BACKUPS[0]
    picked = {rules.pick_backup(BACKUPS, rules.Pick.RANDOM, random.Random(seed)) for seed in range(40)}
    assert picked == set(BACKUPS[:3])
    assert rules.pick_backup([BACKUPS[3]], rules.Pick.LATEST) is None


def test_markers_carry_the_run_the_backup_the_start_and_the_expiry() -> None:
    tags = rules.markers("run-1", "ocid1.volumebackup.oc1.iad.x", NOW, 120)
    assert tags == {
        "restore-test": "run-1",
        "restore-source-backup": "ocid1.volumebackup.oc1.iad.x",
        "restore-started": "2026-12-04T20:00:00Z",
        "restore-expires": "2026-12-04T22:00:00Z",
    }
    assert rules.started_at(tags) == NOW
    assert not rules.is_expired(tags, NOW + timedelta(minutes=119))
    assert rules.is_expired(tags, NOW + timedelta(minutes=120))
    assert rules.is_expired({"restore-test": "r"}, NOW)  # no readable expiry: treated as a leftover
    assert not rules.is_timed_out(tags, NOW + timedelta(minutes=60), 60)
    assert rules.is_timed_out(tags, NOW + timedelta(minutes=61), 60)


def test_the_two_delete_guards_are_independent() -> None:
    marked = {"restore-test": "run-1"}
    assert rules.delete_refusal(SANDBOX, marked, SANDBOX) is None
    outside = rules.delete_refusal("ocid1.compartment.oc1..prod", marked, SANDBOX)
    assert outside is not None and "not in the sandbox" in outside
    unmarked = rules.delete_refusal(SANDBOX, {"env": "prod"}, SANDBOX)
    assert unmarked is not None and "restore-test" in unmarked
    assert rules.delete_refusal(SANDBOX, {"restore-test": ""}, SANDBOX) is not None  # an empty marker is none
    assert rules.delete_refusal(SANDBOX, marked, "") is not None  # no sandbox configured: nothing is deletable


def test_what_create_and_copy_backup_never_touch() -> None:
    assert rules.is_test_restore(SANDBOX, {}, SANDBOX)
    assert rules.is_test_restore("ocid1.compartment.oc1..prod", {"restore-test": "r"}, None)
    assert not rules.is_test_restore("ocid1.compartment.oc1..prod", {"env": "prod"}, SANDBOX)
    assert not rules.is_test_restore("ocid1.compartment.oc1..prod", {}, None)


def test_checks_name_the_first_failure() -> None:
    good = rules.Observed("AVAILABLE", 100, 100, seconds_to_available=300)
    assert rules.failure(good, 60) is None
    assert rules.failure(good._replace(state="FAULTY"), 60) == "FAULTY"
    assert rules.failure(good._replace(seconds_to_available=3700), 60).startswith("timed out")  # type: ignore[union-attr]
    assert rules.failure(good._replace(size_in_gbs=50), 60).startswith("size")  # type: ignore[union-attr]
    assert rules.failure(good._replace(size_in_gbs=200), 60) is None  # larger is fine
    image = good._replace(image_id="img-a", backup_image_id="img-b")
    assert rules.failure(image, 60).startswith("image")  # type: ignore[union-attr]
    assert rules.failure(good._replace(image_id="img-a", backup_image_id=None), 60) is None
    group = rules.Observed("AVAILABLE", None, None, member_states=("AVAILABLE", "AVAILABLE"), backup_member_count=2)
    assert rules.failure(group, 60) is None
    assert rules.failure(group._replace(backup_member_count=3), 60).startswith("member count")  # type: ignore[union-attr]
    assert rules.failure(group._replace(member_states=("AVAILABLE", "FAULTY")), 60).startswith("member count")  # type: ignore[union-attr]


def test_the_record_round_trips_through_the_tags() -> None:
    tags = rules.result_tags(NOW, None, 241.6)
    assert tags == {
        "restore-verified-at": "2026-12-04T20:00:00Z",
        "restore-result": "verified",
        "restore-seconds": "242",
    }
    last = rules.last_result(tags)
    assert last is not None and last.verified and last.seconds == 242 and last.at == NOW
    failed = rules.result_tags(NOW, "FAULTY", None)
    assert failed["restore-result"] == "failed:FAULTY" and "restore-seconds" not in failed
    assert rules.newest_result([tags, rules.result_tags(NOW + timedelta(days=1), "FAULTY", None), {}]).result == (  # type: ignore[union-attr]
        "failed:FAULTY"
    )
    assert rules.is_verified_within(last, NOW + timedelta(days=30), 30)
    assert not rules.is_verified_within(last, NOW + timedelta(days=30, seconds=1), 30)
    assert not rules.is_verified_within(rules.last_result(failed), NOW, 30)
    assert rules.last_result({"restore-verified-at": "garbage"}) is None


def test_percentiles_are_nearest_rank() -> None:
    assert rules.percentile([], 0.5) is None
    assert rules.percentile([5.0], 0.9) == 5.0
    values = [float(v) for v in range(1, 11)]
    assert (rules.percentile(values, 0.5), rules.percentile(values, 0.9), rules.percentile(values, 1.0)) == (5, 9, 10)


def test_times_read_back_what_the_tags_hold_and_nothing_else() -> None:
    """One RFC 3339 reader (``shared/rules/times.py``) for tags, events and the platform's ``Fn-Deadline``."""
    assert times.stamp(NOW) == "2026-12-04T20:00:00Z"
    assert times.parse_time(times.stamp(NOW)) == NOW
    assert times.parse_time("2026-12-04T21:00:00+01:00") == NOW
    assert times.parse_time("2026-12-04T20:00:00.250Z") == NOW + timedelta(milliseconds=250)
    assert times.parse_time("2026-12-04T20:00:00") == NOW  # no zone: UTC
    assert [times.parse_time(v) for v in (None, "", "yesterday", "2026-13-01T00:00:00Z")] == [None] * 4
