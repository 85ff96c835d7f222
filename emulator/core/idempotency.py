"""``opc-retry-token`` bookkeeping, per tenancy + region (one store per backend), keyed by operation and token.

OCI documents that a token makes a POST idempotent for 24 h ("same token, same result") and that a
token "can be invalidated before then due to conflicting operations. For example, if a resource has
been deleted and purged from the system, then a retry of the original creation request might be
rejected" (409 ``InvalidatedRetryToken``, "use a new token"). Modelled:

* same token within ``retry_token_ttl_seconds``: the first result, as it is now (a deleted one shows
  TERMINATING / TERMINATED), whatever the body. Assumption: OCI documents no refusal of a token sent
  with another body, only "same token, same result"; so a second call of the same logical request
  (its body differs, e.g. in a tag naming the call) gets the first call's resource;
* the first result deleted and purged (TERMINATED for ``purged_after`` seconds): 409
  ``InvalidatedRetryToken``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .exceptions import InvalidatedRetryToken


@dataclass
class _Entry:
    result: Any
    stored_at: float


class RetryTokenStore:
    """Per tenancy + region (one per backend), keyed by operation and token."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], _Entry] = {}

    def lookup(
        self,
        operation: str,
        token: str,
        now: float,
        ttl: float,
        purged: Callable[[Any], bool] = lambda result: False,
    ) -> Any | None:
        entry = self._entries.get((operation, token))
        if entry is None or now - entry.stored_at > ttl:
            return None
        if purged(entry.result):
            raise InvalidatedRetryToken(
                "The resource this opc-retry-token created has been deleted and purged; use a new token."
            )
        return entry.result

    def store(self, operation: str, token: str, result: Any, now: float) -> None:
        self._entries[(operation, token)] = _Entry(result, now)
