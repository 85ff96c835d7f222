"""The recovery plan's rules (shared/rules/recovery.py): pure, no emulator."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.oci.blockstorage import BackupKind
from shared.oci.boot_group_models import VolumeGroupBackup
from shared.oci.models import VolumeBackup
from shared.rules import recovery
from shared.rules.recovery import ALL_NEWER, NONE_AVAILABLE, Candidate
from shared.rules.tags import SOURCE_KEY

T0 = datetime(2026, 12, 1, tzinfo=UTC)
V = BackupKind.VOLUME
G = BackupKind.VOLUME_GROUP


def vb(
    bid: str, source: str, hours: float, state: str = "AVAILABLE", group: str | None = None, gb: int = 50
) -> Candidate:
    return Candidate(bid, V, source, f"{source}-{bid}", T0 + timedelta(hours=hours), state, gb, group)


def gb(bid: str, source: str, hours: float, members: tuple[str, ...], state: str = "AVAILABLE") -> Candidate:
    return Candidate(bid, G, source, f"{source}-{bid}", T0 + timedelta(hours=hours), state, None, None, members)


def make_plan(backups: list[Candidate], hours: float) -> recovery.Plan:
    return recovery.plan(backups, T0 + timedelta(hours=hours), region="us-phoenix-1", target_compartment_id="c")


def test_newest_available_at_or_before_the_point_in_time() -> None:
    backups = [vb("b1", "v1", 1), vb("b2", "v1", 5), vb("b3", "v1", 6, state="CREATING"), vb("b4", "v1", 9)]
    plan = make_plan(backups, 7)
    assert [(r.source_id, r.backup_id) for r in plan.restores] == [("v1", "b2")]
    assert plan.restores[0].recovery_point_seconds(plan.point_in_time) == 2 * 3600
    assert plan.unusable == ()
    exactly = make_plan(backups, 9)  # taken exactly at the point in time counts
    assert exactly.restores[0].backup_id == "b4"


def test_sources_without_a_usable_backup_are_named_with_the_reason() -> None:
    backups = [vb("b1", "v1", 1), vb("b2", "v2", 10), vb("b3", "v3", 1, state="FAULTY")]
    plan = make_plan(backups, 5)
    assert [r.source_id for r in plan.restores] == ["v1"]
    assert {(u.source_id, u.reason) for u in plan.unusable} == {("v2", ALL_NEWER), ("v3", NONE_AVAILABLE)}
    assert recovery.oldest_kept(backups) == T0 + timedelta(hours=1)


def test_a_volume_in_a_group_is_restored_with_the_groups_backup() -> None:
    backups = [
        gb("g1", "grp", 2, ("m1", "m2")),
        vb("m1", "v1", 2, group="g1", gb=100),
        vb("m2", "v2", 2, group="g1", gb=200),
        vb("own", "v1", 4),  # newer, but the group's backup is crash-consistent
        vb("b9", "v9", 3),  # not in the group
    ]
    plan = make_plan(backups, 5)
    kinds = {r.source_id: (r.kind, r.backup_id) for r in plan.restores}
    assert kinds == {"grp": (G, "g1"), "v9": (V, "b9")}
    group = next(r for r in plan.restores if r.kind is G)
    assert [(m.source_id, m.backup_id) for m in group.members] == [("v1", "m1"), ("v2", "m2")]
    assert recovery.restore_size(group) == 300
    assert plan.counts() == {"volume": 3, "bootVolume": 0, "volumeGroup": 1}
    assert plan.by_source()["v1"] is group


def test_without_a_group_backup_at_that_point_a_member_volume_uses_its_own() -> None:
    backups = [gb("g1", "grp", 6, ("m1",)), vb("m1", "v1", 6, group="g1"), vb("own", "v1", 3)]
    plan = make_plan(backups, 5)
    assert [(r.source_id, r.backup_id) for r in plan.restores] == [("v1", "own")]
    assert [(u.source_id, u.reason) for u in plan.unusable] == [("grp", ALL_NEWER)]


def test_the_plan_id_is_the_content_not_the_clock_nor_the_order() -> None:
    backups = [vb("b1", "v1", 1), vb("b2", "v2", 2)]
    first = make_plan(backups, 5)
    assert first.plan_id == make_plan(list(reversed(backups)), 6).plan_id
    assert len(first.plan_id) == recovery.PLAN_ID_LENGTH
    newer = make_plan([*backups, vb("b3", "v1", 5.5)], 6)
    assert newer.plan_id != first.plan_id
    elsewhere = recovery.plan(backups, first.point_in_time, region="us-phoenix-1", target_compartment_id="other")
    assert elsewhere.plan_id != first.plan_id
    vanished = make_plan(backups[:1], 5)
    assert vanished.plan_id != first.plan_id


def test_retry_tokens_and_tags_come_from_the_plan_and_the_source() -> None:
    plan = make_plan([vb("b1", "v1", 1)], 5)
    token = recovery.recovery_token(plan.plan_id, "v1")
    assert token == recovery.recovery_token(plan.plan_id, "v1") and len(token) == 64
    assert token != recovery.recovery_token(plan.plan_id, "v2")
    tags = recovery.recovery_tags(plan.plan_id, plan.restores[0])
    assert tags == {"recovered-from-source": "v1", "recovered-from-backup": "b1", "recovery-plan": plan.plan_id}
    assert recovery.is_recovery_of(tags, plan.plan_id) == "v1"
    assert recovery.is_recovery_of(tags, "another") is None


def test_copies_are_traced_to_their_source() -> None:
    def copy(bid: str, copied_from: str, tagged: bool, volume: str | None) -> VolumeBackup:
        tags = {SOURCE_KEY: copied_from} if tagged else {}
        return VolumeBackup.model_validate(
            {
                "id": bid,
                "compartmentId": "c",
                "lifecycleState": "AVAILABLE",
                "timeCreated": T0.isoformat(),
                "sourceVolumeBackupId": copied_from,
                "volumeId": volume,
                "freeformTags": tags,
                "sizeInGBs": 50,
            }
        )

    origin = {"home-b2": "v2"}
    assert recovery.traced_source(copy("c1", "home-b1", True, "v1"), origin) == "v1"
    assert recovery.traced_source(copy("c2", "home-b2", True, None), origin) == "v2"  # OCI dropped volumeId
    assert recovery.traced_source(copy("c3", "home-b3", True, None), origin) is None  # no way to tell
    assert recovery.traced_source(copy("c4", "home-b1", False, "v1"), origin) is None  # not the tool's copy
    own = VolumeBackup.model_validate(
        {"id": "b", "compartmentId": "c", "lifecycleState": "AVAILABLE", "timeCreated": T0.isoformat(), "volumeId": "v"}
    )
    assert recovery.traced_source(own, {}) == "v"
    group = VolumeGroupBackup.model_validate(
        {
            "id": "gc",
            "compartmentId": "c",
            "lifecycleState": "AVAILABLE",
            "timeCreated": T0.isoformat(),
            "sourceVolumeGroupBackupId": "home-g",
            "freeformTags": {SOURCE_KEY: "home-g"},
            "volumeGroupId": "grp",
            "volumeBackupIds": ["m1", "m2"],
        }
    )
    (found,) = recovery.candidates(G, [group], {})
    assert (found.source_id, found.member_backup_ids) == ("grp", ("m1", "m2"))


def test_recovery_point_text() -> None:
    assert recovery.recovery_point_text(45) == "45 s"
    assert recovery.recovery_point_text(3 * 60) == "3 min"
    assert recovery.recovery_point_text(3 * 3600 + 12 * 60) == "3 h 12 min"
    assert recovery.recovery_point_text(2 * 86400 + 4 * 3600) == "2 d 4 h"


STATES = st.sampled_from(["AVAILABLE", "AVAILABLE", "AVAILABLE", "CREATING", "FAULTY"])


@st.composite
def fleets(draw: st.DrawFn) -> list[Candidate]:
    backups: list[Candidate] = []
    volumes = [f"v{i}" for i in range(draw(st.integers(1, 6)))]
    for n in range(draw(st.integers(0, 3))):
        members = draw(st.lists(st.sampled_from(volumes), unique=True, max_size=3))
        hours = draw(st.integers(0, 48))
        gid = f"g{n}"
        backups.append(gb(gid, "grp", hours, tuple(f"{gid}-{v}" for v in members), draw(STATES)))
        backups.extend(vb(f"{gid}-{v}", v, hours, group=gid) for v in members)
    for n in range(draw(st.integers(0, 12))):
        backups.append(vb(f"b{n}", draw(st.sampled_from(volumes)), draw(st.integers(0, 48)), draw(STATES)))
    return backups


@settings(max_examples=200, deadline=None)
@given(fleets(), st.integers(0, 50))
def test_every_source_is_planned_once_or_named(backups: list[Candidate], hours: int) -> None:
    plan = make_plan(backups, hours)
    point = plan.point_in_time
    restored = [r.source_id for r in plan.restores] + [m.source_id for r in plan.restores for m in r.members]
    named = [u.source_id for u in plan.unusable]
    sources = {b.source_id for b in backups}
    assert len(restored) == len(set(restored))  # nothing created twice
    assert set(restored) | set(named) >= sources
    by_id = {b.backup_id: b for b in backups}
    for restore in plan.restores:
        chosen = by_id[restore.backup_id]
        assert chosen.available and chosen.taken <= point
        newer = [
            b for b in backups if b.source_id == restore.source_id and b.available and chosen.taken < b.taken <= point
        ]
        assert not newer  # the newest usable one of its source
    group_members = {m.source_id for r in plan.restores for m in r.members}
    for restore in plan.restores:
        if restore.kind is V:
            assert restore.source_id not in group_members
    for unusable in plan.unusable:
        assert not any(b.available and b.taken <= point for b in backups if b.source_id == unusable.source_id)
    assert plan.plan_id == make_plan(list(reversed(backups)), hours).plan_id
