"""What a run's restore tests came to, as a section of its report: the counts in the result, a digest
line, and the metrics ``restores_verified``, ``restores_failed``, ``restore_seconds`` (by ``kind`` and
``region``) and ``restore_leftovers`` (leftovers that had been there longer than twice the TTL: the
alarm's condition; the result's ``leftovers`` counts every one deleted)."""

import threading
from datetime import datetime
from typing import Any

from functions.restore_backup.sandbox import Outcome
from shared.oci.blockstorage import BackupKind
from shared.results import Gauge

KEY = "restoreTests"  # the result document's field
RESTORES_VERIFIED = "restores_verified"
RESTORES_FAILED = "restores_failed"
RESTORE_SECONDS = "restore_seconds"
RESTORE_LEFTOVERS = "restore_leftovers"


class RestoreOutcomes:
    """Collected while the run works; a report section (``restoreTests``) once it is done."""

    key = KEY

    def __init__(self, kinds: list[BackupKind], regions: list[str], ttl_minutes: int) -> None:
        self._lock = threading.Lock()
        self._kinds = kinds
        self._regions = regions
        self._outcomes: list[Outcome] = []
        self._leftovers = 0
        self._long_lived = 0  # leftovers that had been there longer than twice the TTL
        self._twice_ttl = 2 * 60.0 * ttl_minutes

    def add(self, outcome: Outcome | None) -> None:
        if outcome is None:
            return
        with self._lock:
            self._outcomes.append(outcome)
            self._leftovers += outcome.leftover
            old = outcome.age_seconds is None or outcome.age_seconds > self._twice_ttl
            self._long_lived += outcome.leftover and old

    def _checked(self) -> list[Outcome]:
        with self._lock:
            return [o for o in self._outcomes if o.checked]

    def document(self) -> dict[str, Any]:
        checked = self._checked()
        return {
            "verified": sum(1 for o in checked if o.reason is None),
            "failed": sum(1 for o in checked if o.reason is not None),
            "leftovers": self._leftovers,
        }

    def digest_lines(self, now: datetime) -> list[str]:
        doc = self.document()
        if not (doc["verified"] or doc["failed"] or doc["leftovers"]):
            return []
        return [
            f"Restore tests finished in this run: {doc['verified']} verified, {doc['failed']} failed; "
            f"{doc['leftovers']} leftover test resources deleted"
        ]

    def gauges(self) -> list[Gauge]:
        checked = self._checked()
        gauges: list[Gauge] = []
        for region in self._regions:
            for kind in self._kinds:
                mine = [o for o in checked if o.region == region and o.kind is kind]
                dims = {"kind": kind.word, "region": region}
                gauges.append(Gauge(RESTORES_VERIFIED, float(sum(1 for o in mine if o.reason is None)), dims))
                gauges.append(Gauge(RESTORES_FAILED, float(sum(1 for o in mine if o.reason is not None)), dims))
                seconds = [o.seconds for o in mine if o.reason is None and o.seconds is not None]
                if seconds:
                    gauges.append(Gauge(RESTORE_SECONDS, max(seconds), dims))
        gauges.append(Gauge(RESTORE_LEFTOVERS, float(self._long_lived), {}))
        return gauges
