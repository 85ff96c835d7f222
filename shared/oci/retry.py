"""Retry policy: small checkers OR-ed together, full-jitter backoff, a deadline it never sleeps past.

Shaped like botocore's standard retry mode: a read-only ``Attempt`` feeds one-method checkers; the
backoff and the clock are injected so tests run without sleeping.
"""

import random
import threading
import time
from collections.abc import Callable
from typing import NamedTuple, Protocol, Self

from shared.oci.errors import DeadlineExceeded

NOT_RETRIED_5XX = frozenset({501})  # the SDK's default: every 5xx except 501 Not Implemented
RETRYABLE_409_CODES = frozenset({"IncorrectState", "LockConflict"})


class Attempt(NamedTuple):
    """What one attempt produced: an HTTP status + OCI code, or a connection error."""

    number: int  # 1-based, all attempts
    status: int | None = None
    code: str | None = None
    connection_error: bool = False
    throttled_before: int = 0  # how many earlier attempts were answered 429

    @property
    def is_throttled(self) -> bool:
        return self.status == 429

    @property
    def failures(self) -> int:
        """Attempts that failed for other reasons than throttling (this one included)."""
        return self.number - self.throttled_before - (1 if self.is_throttled else 0)


class RetryChecker(Protocol):
    def __call__(self, attempt: Attempt) -> bool: ...


def throttled(attempt: Attempt) -> bool:
    return attempt.status == 429


def transient_server_error(attempt: Attempt) -> bool:
    """Any 5xx but 501, like the official SDKs' default retry strategy (retry_checkers.py of
    oci-python-sdk 2.189.0: ``status >= 500 and status != 501``)."""
    return attempt.status is not None and 500 <= attempt.status <= 599 and attempt.status not in NOT_RETRIED_5XX


def incorrect_state(attempt: Attempt) -> bool:
    return attempt.status == 409 and attempt.code in RETRYABLE_409_CODES


def connection_error(attempt: Attempt) -> bool:
    return attempt.connection_error


DEFAULT_CHECKERS: tuple[RetryChecker, ...] = (
    throttled,
    transient_server_error,
    incorrect_state,
    connection_error,
)


class Deadline:
    """A point in monotonic time (``None``: no deadline) with a safety margin."""

    def __init__(self, at: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.at = at
        self.clock = clock

    @classmethod
    def after(cls, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> Self:
        return cls(None if seconds is None else clock() + seconds, clock)

    def remaining(self) -> float:
        return float("inf") if self.at is None else self.at - self.clock()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def check(self, what: str) -> None:
        if self.expired():
            raise DeadlineExceeded(f"no time left before the deadline to {what}")


NO_DEADLINE = Deadline(None)


class RetryQuota:
    """A token bucket that stops retry storms: each retry costs, each success refunds (botocore)."""

    def __init__(self, capacity: int = 500, retry_cost: int = 5, available: int = 500) -> None:
        self.capacity = capacity
        self.retry_cost = retry_cost
        self.available = available
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        with self._lock:
            if self.available < self.retry_cost:
                return False
            self.available -= self.retry_cost
            return True

    def release(self) -> None:
        with self._lock:
            self.available = min(self.capacity, self.available + 1)


class RetryPolicy:
    """Decides whether and how long to wait before the next attempt.

    Failures (5xx, 409 IncorrectState, connection errors) are retried up to ``max_attempts`` with
    full-jitter backoff capped at ``max_delay``, each retry drawing on the retry quota. Throttling
    (429) is different: the request changed nothing, so it is retried more often
    (``max_throttled_attempts``), with a short backoff capped at ``throttle_max_delay`` that paces
    the caller to the limit, and without spending the quota; the deadline still bounds it.
    """

    def __init__(
        self,
        max_attempts: int = 6,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        max_throttled_attempts: int = 30,
        throttle_max_delay: float = 2.0,
        checkers: tuple[RetryChecker, ...] = DEFAULT_CHECKERS,
        quota: RetryQuota | None = None,
        random: Callable[[], float] = random.random,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_throttled_attempts = max_throttled_attempts
        self.throttle_max_delay = throttle_max_delay
        self.checkers = checkers
        self.quota = quota if quota is not None else RetryQuota()
        self.random = random
        self.sleep = sleep

    def should_retry(self, attempt: Attempt) -> bool:
        if not any(check(attempt) for check in self.checkers):
            return False
        if attempt.is_throttled:
            return attempt.throttled_before + 1 < self.max_throttled_attempts
        return attempt.failures < self.max_attempts

    def backoff(self, attempt_number: int, cap: float | None = None) -> float:
        """Full jitter: uniform(0, min(cap, base * 2**(n-1)))."""
        limit = self.max_delay if cap is None else cap
        return float(self.random() * min(limit, self.base_delay * 2 ** (attempt_number - 1)))

    def wait(self, attempt: Attempt, deadline: Deadline) -> bool:
        """Sleep before the next attempt; False when the deadline or the quota forbids one."""
        if attempt.is_throttled:
            delay = self.backoff(attempt.throttled_before + 1, self.throttle_max_delay)
        else:
            delay = self.backoff(attempt.failures)
            if delay < deadline.remaining() and not self.quota.acquire():
                return False
        if delay >= deadline.remaining():
            return False
        if delay > 0:
            self.sleep(delay)
        return True


NO_RETRIES = RetryPolicy(max_attempts=1)
