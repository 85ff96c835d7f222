"""The emulator clock: real wall-clock time plus an offset that tests advance."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

# The latest time the clock may reach: a century (the longest lock, 36500 days, and any period or TTL
# counted from the clock) short of the last instant a timestamp renders (9999-12-31, Python's datetime).
LATEST = datetime(9899, 12, 31, tzinfo=UTC).timestamp()


class EmulatorClock:
    """Starts at real now; ``advance`` moves it forward (never backward), never past ``LATEST``."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._wall() + self._offset

    def advance(self, seconds: float) -> float:
        if not 0 <= seconds <= LATEST - self.now():  # also refuses NaN and infinity
            raise ValueError(f"the emulator clock moves forward, at most to {rfc3339(LATEST)}")
        with self._lock:
            self._offset += seconds
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        return self._offset


def rfc3339(ts: float) -> str:
    """``2026-11-22T13:10:47.123Z`` (UTC, milliseconds)."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
