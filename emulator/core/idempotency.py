"""``opc-retry-token`` bookkeeping: same token + same request -> same result; a different request -> 409."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .exceptions import InvalidatedRetryToken


@dataclass
class _Entry:
    fingerprint: str
    result: Any
    stored_at: float


class RetryTokenStore:
    """Per tenancy + region (one per backend), keyed by operation and token."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], _Entry] = {}

    def lookup(self, operation: str, token: str, fingerprint: str, now: float, ttl: float) -> Any | None:
        entry = self._entries.get((operation, token))
        if entry is None or now - entry.stored_at > ttl:
            return None
        if entry.fingerprint != fingerprint:
            raise InvalidatedRetryToken(
                "The opc-retry-token was already used with a different request; use a new token."
            )
        return entry.result

    def store(self, operation: str, token: str, fingerprint: str, result: Any, now: float) -> None:
        self._entries[(operation, token)] = _Entry(fingerprint, result, now)
