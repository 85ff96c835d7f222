"""Which runs publish a digest, and how repeated failures are summarised: one root cause, one message.

Who publishes: schedule and HTTP / direct runs follow ``NOTIFY_ON`` (``all``, ``failures``, ``never``);
event runs follow ``NOTIFY_ON_EVENTS`` (default ``failures``): a nightly sweep of 2,000 volumes makes
2,000 ``backup.end`` events, and a digest for each would pass OCI Notifications' 60 messages a minute
per topic (and 10 e-mails a minute per subscription) many times over.

Repeated failures: a failed run has a *signature*, the function, the trigger and what failed (the run's
error, or each failed item's action and reason) with the parts that differ from run to run taken out
(OCIDs, request ids, numbers, quoted names). Time is cut into windows of ``NOTIFY_FAILURE_WINDOW_SECONDS`` (default
600), named by their start (the deterministic window key, in the digest). A function container
publishes the first failure of a signature in a window and holds back the rest of that window; the first
failure of the signature in a later window is published and says how many were held back before it.
Bounds: one message per signature per window per container (OCI Functions may run several containers of
a function: each publishes its own first), and a container remembers at most ``MAX_SIGNATURES``
signatures (the least recently seen is forgotten). What a function can honestly do without state of its
own: OCI keeps none for it (a topic's messages cannot be read back), and a container's memory ends with
the container, so a new container publishes its first failure again. Held-back runs lose nothing else:
each answers its full result, logs it under its call id, and posts ``run_items`` / ``run_failed`` (the
failed-items alarm counts every one).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final, NamedTuple

from shared.settings import NotifyOn

FAILURE_WINDOW_SECONDS: Final = 600  # the default of NOTIFY_FAILURE_WINDOW_SECONDS
MAX_SIGNATURES: Final = 256
# what differs between runs that failed the same way: OCIDs, request ids, long hex ids, quoted names, numbers
_VARYING = re.compile(
    r"ocid1\.[a-z0-9.\-_]+|\[opc-request-id [^\]]*\]|\b[0-9A-Fa-f]{16,}\b|'[^']*'|\"[^\"]*\"|\d+(?:\.\d+)?"
)


def wants_digest(trigger: str, has_failures: bool, notify_on: NotifyOn, notify_on_events: NotifyOn) -> bool:
    """Whether a run of ``trigger`` publishes at all (before any summarising)."""
    rule = notify_on_events if trigger == "event" else notify_on
    return rule is NotifyOn.ALL or (rule is NotifyOn.FAILURES and has_failures)


def failure_signature(function: str, trigger: str, error: str | None, failed: Iterable[tuple[str, str]]) -> str:
    """A short stable key of what failed: equal for runs that failed the same way on other resources."""
    parts = sorted({f"{action}: {_VARYING.sub('#', reason)}" for action, reason in failed})
    if error:
        parts.insert(0, f"error: {_VARYING.sub('#', error)}")
    canonical = "\n".join([function, trigger, *parts])
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def window_of(now: datetime, seconds: int = FAILURE_WINDOW_SECONDS) -> datetime:
    """The start of the failure window of ``seconds`` that ``now`` falls in (UTC)."""
    start = int(now.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(start, tz=UTC)


class Admission(NamedTuple):
    publish: bool
    window: datetime  # the window's start: with the signature, the key subscribers can group by
    held_back: int = 0  # failures of this signature not published before this one (this container)
    held_since: datetime | None = None  # the first of them


class _Seen(NamedTuple):
    window: datetime
    held_back: int
    held_since: datetime | None


class FailureMemory:
    """One container's memory of the failure signatures it published, bounded; thread-safe."""

    def __init__(self, capacity: int = MAX_SIGNATURES) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        self._lock = threading.Lock()

    def admit(self, signature: str, now: datetime, window_seconds: int = FAILURE_WINDOW_SECONDS) -> Admission:
        """Publish the first failure of ``signature`` in ``now``'s window; hold back (count) the others."""
        window = window_of(now, window_seconds)
        with self._lock:
            seen = self._seen.pop(signature, None)
            if seen is not None and seen.window == window:
                self._seen[signature] = _Seen(window, seen.held_back + 1, seen.held_since or now)
                return Admission(False, window)
            self._seen[signature] = _Seen(window, 0, None)
            while len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
        if seen is None:
            return Admission(True, window)
        return Admission(True, window, seen.held_back, seen.held_since)


MEMORY = FailureMemory()
