"""Fault injection and rate limits per operation, decided before any state changes.

A rule matches an operation name (or ``*``) and optionally a region. For each matching request, in
rule order: ``count`` is consumed, ``latencySeconds`` is added, the token bucket may answer 429
``TooManyRequests``, ``dropRate`` may close the connection without an answer, ``errorRate`` may answer
``status`` (429 or any 5xx, e.g. 500, 503, 505). A rule with ``after`` lets that many matching requests
pass untouched first; a rule with ``count`` stops after that many matching requests (counted from then).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .exceptions import OciError, TooManyRequests, error_for_status


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    operation: str = "*"
    region: str | None = None
    error_rate: float = Field(0.0, ge=0, le=1, alias="errorRate")
    status: int = Field(503, description="429 or a 5xx")
    latency_seconds: float = Field(0.0, ge=0, le=120, alias="latencySeconds")
    drop_rate: float = Field(0.0, ge=0, le=1, alias="dropRate")
    rate_limit_per_second: float | None = Field(None, gt=0, alias="rateLimitPerSecond")
    burst: int | None = Field(None, ge=1)
    count: int | None = Field(None, ge=1)
    after: int | None = Field(None, ge=1)

    @field_validator("status")
    @classmethod
    def _throttle_or_server_error(cls, value: int) -> int:
        if value != 429 and not 500 <= value <= 599:
            raise ValueError("must be 429 or a 5xx status")
        return value

    def matches(self, operation: str, region: str) -> bool:
        return (self.operation in ("*", operation)) and (self.region is None or self.region == region)


class TokenBucket:
    """``rate`` tokens per second up to ``capacity``; each request takes one or is refused."""

    def __init__(self, rate: float, capacity: float, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = capacity
        self._now = now
        self._tokens = capacity
        self._last = now()

    def take(self) -> bool:
        t = self._now()
        self._tokens = min(self.capacity, self._tokens + (t - self._last) * self.rate)
        self._last = t
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


@dataclass
class _ActiveRule:
    rule: FaultRule
    remaining: int | None
    bucket: TokenBucket | None
    passing: int = 0  # matching requests still let through untouched (``after``)


@dataclass
class Decision:
    """What to do with one request: sleep, then drop or fail (or go on)."""

    latency: float = 0.0
    drop: bool = False
    error: OciError | None = None
    rules: list[int] = field(default_factory=list)


class FaultInjector:
    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[_ActiveRule] = []
        self._random = random.Random(seed)

    def configure(self, rules: Iterable[FaultRule], seed: int | None = None) -> None:
        active = []
        for rule in rules:
            bucket = None
            if rule.rate_limit_per_second is not None:
                capacity = float(rule.burst if rule.burst is not None else max(1, round(rule.rate_limit_per_second)))
                bucket = TokenBucket(rule.rate_limit_per_second, capacity)
            active.append(_ActiveRule(rule, rule.count, bucket, rule.after or 0))
        with self._lock:
            self._rules = active
            if seed is not None:
                self._random.seed(seed)

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [a.rule for a in self._rules]

    def reset(self) -> None:
        self.configure([])

    def decide(self, operation: str, region: str) -> Decision:
        decision = Decision()
        with self._lock:
            for index, active in enumerate(self._rules):
                if decision.drop or decision.error is not None:
                    break
                rule = active.rule
                if not rule.matches(operation, region):
                    continue
                if active.passing:
                    active.passing -= 1
                    continue
                if active.remaining is not None:
                    if active.remaining <= 0:
                        continue
                    active.remaining -= 1
                decision.rules.append(index)
                decision.latency += rule.latency_seconds
                if active.bucket is not None and not active.bucket.take():
                    decision.error = TooManyRequests(f"Rate limit exceeded for {operation}.")
                elif rule.drop_rate and self._random.random() < rule.drop_rate:
                    decision.drop = True
                elif rule.error_rate and self._random.random() < rule.error_rate:
                    decision.error = error_for_status(rule.status, f"Injected fault for {operation}.")
        return decision
