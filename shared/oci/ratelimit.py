"""Client-side pacing that learns an operation's rate limit from its 429s (botocore's adaptive mode).

Unlimited until a 429 follows some successes (a rate to learn from). From then on every request
of that operation and region takes a token from a bucket refilled at ``rate``: a 429 cuts
``rate`` to ``BETA`` x the rate OCI accepted over the last second, and successes grow it back
along a CUBIC curve towards (then past) the rate that was throttled. Workers sharing the client
are then paced to the limit instead of all backing off at once and leaving the service's
allowance unused.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from shared.oci.errors import DeadlineExceeded
from shared.oci.retry import Deadline

# Multiplicative decrease on a 429. botocore and TCP use 0.7; against a token-bucket limit (the
# emulator's; OCI does not document its algorithm) a shallower cut wastes less of the allowance:
# on the bench's 20/s limit 0.85 kept 0.94-0.97 of it over 8 runs where 0.7 kept 0.88-0.96.
BETA = 0.85
SCALE = 0.4  # CUBIC scale: how fast the rate grows back
MIN_RATE = 0.5  # requests per second, never slower
WINDOW_SECONDS = 1.0  # accepted rate = successes in this window / its length
MIN_ACCEPTED = 2.0  # successes per second before a 429 can start the pacing
WAIT_SLICE_SECONDS = 0.25  # a waiting worker re-reads the rate at least this often
FORGET_SECONDS = 30.0  # no 429 for this long: unlimited again (a warm function's next run starts afresh)


class AdaptiveRateLimiter:
    """One operation in one region; thread-safe."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._enabled = False
        self._rate = 0.0
        self._tokens = 0.0
        self._refilled_at = 0.0
        self._max_rate = 0.0  # the accepted rate when last throttled
        self._throttled_at = 0.0
        self._accepted: deque[float] = deque()

    @property
    def rate(self) -> float | None:
        """Requests per second allowed now (``None``: not limited yet)."""
        return self._rate if self._enabled else None

    def acquire(self, deadline: Deadline) -> float:
        """Wait for a token at the current rate and return the time the request goes out (pass it to
        ``record``). Raises ``DeadlineExceeded`` rather than wait past the deadline.

        A turn is reserved only when it comes within ``WAIT_SLICE_SECONDS``; a worker further back
        sleeps one slice and looks again, so when the rate grows back every waiting worker gets the
        new pace at once. (Turns reserved far ahead at the rate of the moment would keep a queue of
        workers asleep for seconds after a deep cut, long after the limit lets more through.)"""
        while True:
            with self._lock:
                now = self._clock()
                if self._enabled and now - self._throttled_at > FORGET_SECONDS:
                    self._enabled = False
                if not self._enabled:
                    return now
                self._refill(now)
                wait = (1 - self._tokens) / self._rate if self._tokens < 1 else 0.0
                if wait >= deadline.remaining():
                    raise DeadlineExceeded("no time left before the deadline to wait for the client-side rate limit")
                if wait <= WAIT_SLICE_SECONDS:
                    self._tokens -= 1  # a reservation: the next caller waits behind it
            if wait > WAIT_SLICE_SECONDS:
                self._sleep(WAIT_SLICE_SECONDS)
                continue
            if not wait:
                return now
            self._sleep(wait)
            return self._clock()

    def record(self, sent_at: float, *, throttled: bool) -> None:
        """Feed back the answer to a request sent at ``sent_at``: a 429, or a success.

        A 429 to a request sent before the last cut is not another cut: that cut was the answer to
        the same burst (as TCP reacts once per round trip)."""
        with self._lock:
            now = self._clock()
            accepted = self._accepted_rate(now, count=not throttled)
            if throttled and self._enabled and sent_at < self._throttled_at:
                return
            if throttled and not self._enabled and accepted < MIN_ACCEPTED:
                return  # no rate to learn from yet (a lone call): the retry backoff alone handles it
            if throttled:
                measured = accepted if not self._enabled else min(accepted, self._rate)
                self._max_rate = max(measured, MIN_RATE)
                self._throttled_at = now
                self._set_rate(self._max_rate * BETA, now)
                if not self._enabled:
                    self._tokens = 1.0  # the throttled request's retry goes after its own backoff
                    self._enabled = True
            elif self._enabled:
                k = (self._max_rate * (1 - BETA) / SCALE) ** (1 / 3)
                cubic = SCALE * (now - self._throttled_at - k) ** 3 + self._max_rate
                self._set_rate(min(cubic, 2 * max(accepted, MIN_RATE)), now)

    def _accepted_rate(self, now: float, *, count: bool) -> float:
        window = self._accepted
        if count:
            window.append(now)
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        return len(window) / WINDOW_SECONDS

    def _set_rate(self, rate: float, now: float) -> None:
        self._refill(now)
        self._rate = max(rate, MIN_RATE)

    def _refill(self, now: float) -> None:
        if self._rate:
            capacity = max(1.0, self._rate)  # at most one second's worth saved up
            self._tokens = min(capacity, self._tokens + (now - self._refilled_at) * self._rate)
        self._refilled_at = now


class RateLimiters:
    """The limiters of one client, one per (region, operation), made on first use."""

    def __init__(self, factory: Callable[[], AdaptiveRateLimiter] = AdaptiveRateLimiter) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._limiters: dict[tuple[str, str], AdaptiveRateLimiter] = {}

    def get(self, region: str, operation: str) -> AdaptiveRateLimiter:
        key = (region, operation)
        limiter = self._limiters.get(key)
        if limiter is None:
            with self._lock:
                limiter = self._limiters.setdefault(key, self._factory())
        return limiter
