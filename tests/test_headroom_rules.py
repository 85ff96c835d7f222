"""The backup-limit headroom rule (shared/rules/headroom.py) and its section (shared/headroom.py), without I/O:
the steady state matches what retention really keeps run after run, and the days to the limit follow."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.headroom import NEVER_DAYS, BackupHeadroom
from shared.oci.models import VolumeBackup
from shared.rules.headroom import Headroom, Pace, Retention, headroom, per_source
from shared.rules.retention import RetentionPolicy, plan_pruning
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE

START = datetime(2026, 1, 1, tzinfo=UTC)
PERIODS = st.sampled_from([1, 2, 3, 4, 6, 8, 12, 24, 48, 168])  # SCHEDULE_PERIOD_HOURS
RETENTIONS = st.builds(
    Retention,
    max_age_days=st.integers(0, 60),
    keep_count=st.integers(0, 60),
    min_keep=st.integers(1, 5),
    lock_days=st.integers(0, 90),
)


def simulate(retention: Retention, period_hours: int, runs: int) -> int:
    """The most backups one source has after any run: each run lists, backs up (the new one still in
    progress) and prunes what it listed, by the real retention rule; finished backups become AVAILABLE."""
    policy = RetentionPolicy(retention.max_age_days, retention.keep_count, retention.min_keep)
    backups: list[VolumeBackup] = []
    most = 0
    for n in range(runs):
        now = START + timedelta(hours=n * period_hours)
        listed = list(backups)
        backups.append(
            VolumeBackup(
                id=f"ocid1.volumebackup.oc1.iad.b{n}",
                compartment_id="ocid1.compartment.oc1..c",
                lifecycle_state="AVAILABLE",  # by the next run; the prune below does not see it
                time_created=now,
                freeform_tags={MANAGED_BY_KEY: MANAGED_BY_VALUE},
            )
        )
        going = {e.backup.id for e in plan_pruning(listed, policy, now)}
        backups = [b for b in backups if b.id not in going]
        most = max(most, len(backups))
    return most


SIMULATED = st.builds(  # small enough to simulate run by run
    Retention,
    max_age_days=st.integers(0, 20),
    keep_count=st.integers(0, 40),
    min_keep=st.integers(1, 5),
    lock_days=st.just(0),
)


@settings(max_examples=100, deadline=None)
@given(retention=SIMULATED, period=st.sampled_from([4, 6, 8, 12, 24, 48, 168]))
def test_the_steady_state_is_what_retention_keeps_run_after_run(retention: Retention, period: int) -> None:
    per_day = 24 / period
    keep = per_source(retention, per_day)
    if keep is None:  # no age and no count limit: nothing is ever pruned
        assert retention.max_age_days == 0 and retention.keep_count == 0
        assert simulate(retention, period, 40) == 40
        return
    runs = keep + math.ceil(retention.max_age_days * per_day) + 10  # long past the steady state
    assert simulate(retention, period, runs) == keep


@settings(max_examples=300, deadline=None)
@given(
    retention=RETENTIONS,
    period=PERIODS,
    sources=st.integers(0, 30_000),
    tool=st.integers(0, 200_000),
    others=st.integers(0, 200_000),
    limit=st.integers(1, 500_000),
)
def test_days_to_the_limit(retention: Retention, period: int, sources: int, tool: int, others: int, limit: int) -> None:
    pace = Pace(sources, 24 / period, tool, tool + others, limit)
    found = headroom(retention, pace)
    if pace.used >= limit:
        assert found.days_to_limit == 0
        return
    if found.days_to_limit is None:  # never: nothing grows, or the steady state stays under the limit
        assert found.growth_per_day == 0 or (found.steady_used is not None and found.steady_used < limit)
        return
    # it grows at sources x backups a day and reaches the limit before (or when) retention catches up
    assert found.growth_per_day > 0 and math.isclose(found.growth_per_day, sources * 24 / period)
    assert math.isclose(pace.used + found.days_to_limit * found.growth_per_day, limit)
    assert found.steady_used is None or found.steady_used >= limit


@settings(max_examples=200, deadline=None)
@given(retention=RETENTIONS, period=PERIODS, sources=st.integers(1, 5000), more=st.integers(1, 5000))
def test_more_sources_never_leave_more_headroom(retention: Retention, period: int, sources: int, more: int) -> None:
    def days(n: int) -> float:
        found = headroom(retention, Pace(n, 24 / period, 1000, 40_000, 100_000)).days_to_limit
        return math.inf if found is None else found

    assert days(sources + more) <= days(sources)


@settings(max_examples=200, deadline=None)
@given(retention=RETENTIONS, period=PERIODS, extra_days=st.integers(1, 30), extra_count=st.integers(1, 30))
def test_longer_retention_never_leaves_more_headroom(
    retention: Retention, period: int, extra_days: int, extra_count: int
) -> None:
    longer = retention._replace(
        max_age_days=retention.max_age_days + extra_days if retention.max_age_days else 0,
        keep_count=retention.keep_count + extra_count if retention.keep_count else 0,
    )

    def days(r: Retention) -> float:
        found = headroom(r, Pace(2000, 24 / period, 20_000, 50_000, 100_000)).days_to_limit
        return math.inf if found is None else found

    assert days(longer) <= days(retention)


def test_a_fleet_that_reaches_the_limit_in_twelve_days() -> None:
    """2,000 daily sources kept 60 days: 122,000 backups once retention caught up; 76,000 used now (40,000
    the tool's) grow by 2,000 a day and reach 100,000 in 12 days."""
    found = headroom(Retention(max_age_days=60), Pace(2000, 1.0, 40_000, 76_000, 100_000))
    assert (found.per_source, found.steady_tool, found.steady_used) == (61, 122_000, 158_000)
    assert found.days_to_limit == 12.0
    section = section_of(found, sources=2000, used=76_000, tool=40_000)
    assert section.digest_lines(START) == [
        "Backup limit: 76,000 of 100,000 used (Limits service); the tool keeps 40,000 backups of 2,000 sources, "
        "122,000 once its retention has caught up; at this retention the tenancy reaches 100,000 backups in 12 days."
    ]
    assert [(g.name, g.value) for g in section.gauges()] == [
        ("backup_headroom_days", 12.0),
        ("backups_used", 76_000),
        ("backup_limit", 100_000),
    ]


def test_a_fleet_that_never_reaches_it() -> None:
    found = headroom(Retention(max_age_days=30, keep_count=7), Pace(2000, 1.0, 16_000, 20_000, 100_000))
    assert (found.per_source, found.steady_used, found.days_to_limit) == (8, 20_000, None)
    section = section_of(
        found, sources=2000, used=20_000, tool=16_000, figures_from="BACKUP_LIMIT", note="the Limits service refused"
    )
    assert section.document()["daysToLimit"] is None  # null: never, kept when nulls are dropped
    assert section.document()["figuresFrom"] == "BACKUP_LIMIT"
    assert section.gauges()[0].value == NEVER_DAYS
    (line,) = section.digest_lines(START)
    assert "(BACKUP_LIMIT; the Limits service refused)" in line
    assert line.endswith("; at this retention the tenancy never reaches 100,000 backups.")


def test_without_retention_it_grows_for_ever() -> None:
    found = headroom(Retention(), Pace(100, 4.0, 500, 99_000, 100_000))
    assert (found.per_source, found.steady_tool, found.growth_per_day, found.days_to_limit) == (None, None, 400, 2.5)
    (line,) = section_of(found, sources=100, used=99_000, tool=500).digest_lines(START)
    assert "no bound (retention off)" in line and line.endswith("reaches 100,000 backups in 2 days.")


def test_at_the_limit_already() -> None:
    found = headroom(Retention(max_age_days=7), Pace(10, 1.0, 80, 100_000, 100_000))
    assert found.days_to_limit == 0
    (line,) = section_of(found, sources=10, used=100_000, tool=80).digest_lines(START)
    assert line.endswith("the tenancy is at its limit of 100,000 backups: new backups are refused.")


def section_of(
    found: Headroom, *, sources: int, used: int, tool: int, figures_from: str = "limits", note: str | None = None
) -> BackupHeadroom:
    return BackupHeadroom.model_validate(
        {
            "limit": 100_000,
            "used": used,
            "figuresFrom": figures_from,
            "note": note,
            "sources": sources,
            "toolBackups": tool,
            "backupsPerDay": 1.0,
            "keptPerSource": found.per_source,
            "steadyState": found.steady_tool,
            "steadyUsed": found.steady_used,
            "daysToLimit": found.days_to_limit,
        }
    )
