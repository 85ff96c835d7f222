"""shared/notify.py: who publishes, and one message per kind of failure per window (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.notify import FAILURE_WINDOW_SECONDS, FailureMemory, failure_signature, wants_digest, window_of
from shared.settings import NotifyOn

T0 = datetime(2026, 12, 4, 2, 0, 5, tzinfo=UTC)
WINDOW = timedelta(seconds=FAILURE_WINDOW_SECONDS)


def test_events_follow_notify_on_events_and_the_rest_notify_on() -> None:
    quiet_events = (NotifyOn.ALL, NotifyOn.FAILURES)
    assert not wants_digest("event", False, *quiet_events)
    assert wants_digest("event", True, *quiet_events)
    assert wants_digest("schedule", False, *quiet_events) and wants_digest("http", False, *quiet_events)
    assert not wants_digest("event", True, NotifyOn.ALL, NotifyOn.NEVER)
    assert not wants_digest("direct", True, NotifyOn.NEVER, NotifyOn.ALL)


def test_the_same_failure_on_other_resources_has_one_signature() -> None:
    one = failure_signature(
        "copy_backup",
        "event",
        None,
        [
            (
                "copy",
                "CopyVolumeBackup failed: 503 x: ocid1.volumebackup.oc1.iad.aaaa is 'db-01' [opc-request-id 8E2A/1DC]",
            )
        ],
    )
    other = failure_signature(
        "copy_backup",
        "event",
        None,
        [
            (
                "copy",
                "CopyVolumeBackup failed: 503 x: ocid1.volumebackup.oc1.iad.bbbb is 'web-07' [opc-request-id B78F/A7B]",
            )
        ],
    )
    assert one == other and len(one) == 12
    assert one != failure_signature("copy_backup", "event", None, [("copy", "CopyVolumeBackup failed: 401 Nope")])
    assert one != failure_signature("copy_backup", "schedule", None, [("copy", "CopyVolumeBackup failed: 503 x")])
    assert failure_signature("create_backup", "schedule", "ListVolumes failed after 4 attempts", []) == (
        failure_signature("create_backup", "schedule", "ListVolumes failed after 8 attempts", [])
    )


def test_one_message_per_signature_per_window_then_a_summary_of_the_held_back() -> None:
    memory = FailureMemory()
    first = memory.admit("sig", T0)
    assert first.publish and first.held_back == 0 and first.window == window_of(T0)
    held = [memory.admit("sig", T0 + timedelta(seconds=s)) for s in (10, 20, 30, 40, 50, 60)]
    assert not any(a.publish for a in held)  # the rest of the window: held back
    assert memory.admit("other", T0 + timedelta(seconds=70)).publish  # another root cause still speaks
    later = memory.admit("sig", T0 + WINDOW)
    assert later.publish and later.held_back == 6 and later.held_since == T0 + timedelta(seconds=10)
    assert memory.admit("sig", T0 + 3 * WINDOW) == (True, window_of(T0 + 3 * WINDOW), 0, None)


def test_the_memory_is_bounded() -> None:
    memory = FailureMemory(capacity=3)
    for n in range(5):
        assert memory.admit(f"sig-{n}", T0).publish
    assert memory.admit("sig-0", T0).publish  # forgotten (least recently seen): published again
    assert not memory.admit("sig-4", T0).publish  # still remembered in this window
