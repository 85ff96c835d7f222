"""Retention never deletes the last AVAILABLE backup, nor anything the tool did not make."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.oci.models import VolumeBackup
from shared.rules.retention import RetentionPolicy, kept, plan_pruning
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def backup(n: int, age_days: float, state: str = "AVAILABLE", managed: bool = True) -> VolumeBackup:
    return VolumeBackup(
        id=f"ocid1.volumebackup.oc1.iad.b{n}",
        compartment_id="ocid1.compartment.oc1..c",
        display_name=f"b{n}",
        lifecycle_state=state,
        time_created=NOW - timedelta(days=age_days),
        freeform_tags={MANAGED_BY_KEY: MANAGED_BY_VALUE} if managed else {},
        type="INCREMENTAL",
    )


def test_count_keeps_the_newest() -> None:
    backups = [backup(i, age_days=i) for i in range(5)]
    gone = plan_pruning(backups, RetentionPolicy(keep_count=2), NOW)
    assert [e.backup.display_name for e in gone] == ["b4", "b3", "b2"]
    assert all("newest 2" in e.reason for e in gone)


def test_age_limit_but_the_last_good_backup_stays() -> None:
    backups = [backup(1, 40), backup(2, 50), backup(3, 1, state="CREATING")]
    gone = plan_pruning(backups, RetentionPolicy(max_age_days=30), NOW)
    assert [e.backup.display_name for e in gone] == ["b2"]  # b1 is the last AVAILABLE one


def test_unmanaged_and_unavailable_are_never_candidates() -> None:
    backups = [backup(1, 0), backup(2, 90, managed=False), backup(3, 90, state="FAULTY"), backup(4, 90)]
    gone = plan_pruning(backups, RetentionPolicy(max_age_days=30), NOW)
    assert [e.backup.display_name for e in gone] == ["b4"]


def test_no_policy_deletes_nothing() -> None:
    assert plan_pruning([backup(i, 1000) for i in range(3)], RetentionPolicy(), NOW) == []


@settings(max_examples=300, deadline=None)
@given(
    specs=st.lists(
        st.tuples(
            st.floats(0, 400),
            st.sampled_from(["AVAILABLE", "AVAILABLE", "CREATING", "FAULTY", "TERMINATED", "SOMETHING_NEW"]),
            st.booleans(),
        ),
        max_size=25,
    ),
    max_age=st.integers(0, 100),
    keep=st.integers(0, 10),
    min_keep=st.integers(1, 5),
)
def test_guard_properties(specs, max_age, keep, min_keep) -> None:
    backups = [backup(i, age, state, managed) for i, (age, state, managed) in enumerate(specs)]
    gone = {e.backup.id for e in plan_pruning(backups, RetentionPolicy(max_age, keep, min_keep), NOW)}
    by_id = {b.id: b for b in backups}
    assert all(by_id[i].lifecycle_state == "AVAILABLE" and by_id[i].freeform_tags for i in gone)
    kept_available = [b for b in backups if b.lifecycle_state == "AVAILABLE" and b.freeform_tags and b.id not in gone]
    managed_available = [b for b in backups if b.lifecycle_state == "AVAILABLE" and b.freeform_tags]
    assert len(kept_available) >= min(len(managed_available), min_keep)
    if managed_available:
        newest = max(managed_available, key=lambda b: b.time_created)
        assert newest.id not in gone


@settings(max_examples=200, deadline=None)
@given(
    ages=st.lists(st.floats(0, 400), max_size=20),
    days=st.integers(0, 60),
    count=st.integers(0, 6),
    min_keep=st.integers(1, 4),
)
def test_retention_keeps_what_it_does_not_prune(ages: list[float], days: int, count: int, min_keep: int) -> None:
    """One rule for both questions: a reconcile copies only what pruning would keep."""
    backups = [backup(n, age).model_copy(update={"volume_id": "ocid1.volume.oc1.iad.v"}) for n, age in enumerate(ages)]
    policy = RetentionPolicy(days, count, min_keep)
    going = {e.backup.id for e in plan_pruning(backups, policy, NOW)}
    assert kept(backups, policy, NOW) == {b.id for b in backups} - going
