"""The backup-limit headroom of a sweep that measured the posture: what it counted on its way
(``HeadroomTally``), the tenancy's limit and usage from the Limits service (else ``BACKUP_LIMIT``), and the
section (``shared.headroom``) with the rule's answer (``shared.rules.headroom``).

A Limits call that is refused or fails never fails the run: the section says it used ``BACKUP_LIMIT`` and why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.create_backup.settings import Run
from shared import log
from shared.errors import BadRequest
from shared.headroom import BackupHeadroom
from shared.oci.backup_record import BackupFacts
from shared.oci.errors import NotAuthorizedOrNotFound, OciError
from shared.oci.limits import BACKUP_COUNT, BLOCK_STORAGE, resource_availability
from shared.oci.retry import RetryPolicy
from shared.rules.headroom import Pace, Retention, headroom
from shared.rules.tags import is_managed

LIMITS_RETRY: Final = RetryPolicy(max_attempts=2, max_throttled_attempts=3, throttle_max_delay=1.0)
HEADROOM_KEY: Final = "headroom"  # the counts' key in a handed-over posture


class HeadroomCounts(BaseModel):
    """What a run of a hand-over chain counted so far, handed over inside the posture (``posture.headroom``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)

    sources: int = Field(ge=0)
    tool_backups: int = Field(ge=0, alias="toolBackups")
    backups: int = Field(ge=0)


class HeadroomTally:
    """Counted source by source as the sweep lists them (from any thread): a few integers, whatever the
    fleet's size, handed over with the posture so the run that finishes the listing reports the whole scope.

    The sweep's histories hold the live backups of each source, a volume group backup once (its member
    backups, which OCI counts against the limit too, are not listed with it)."""

    def __init__(self, carried: HeadroomCounts | None = None) -> None:
        self._lock = threading.Lock()
        self.sources = carried.sources if carried else 0
        self.tool_backups = carried.tool_backups if carried else 0
        self.backups = carried.backups if carried else 0  # every backup of the sources in scope, whoever made it

    def add(self, history: Sequence[BackupFacts]) -> None:
        managed = sum(1 for b in history if is_managed(b.freeform_tags))
        with self._lock:
            self.sources += 1
            self.backups += len(history)
            self.tool_backups += managed

    def document(self) -> dict[str, int]:
        with self._lock:
            counts = HeadroomCounts(sources=self.sources, tool_backups=self.tool_backups, backups=self.backups)
        return counts.model_dump(by_alias=True)


def carried_tally(posture: Mapping[str, Any] | None) -> HeadroomTally:
    """The counts an earlier run of the chain handed over (``posture.headroom``), validated; none: from zero."""
    carried = None if posture is None else posture.get(HEADROOM_KEY)
    if carried is None:
        return HeadroomTally()
    try:
        return HeadroomTally(HeadroomCounts.model_validate(carried))
    except ValidationError as exc:
        raise BadRequest.from_validation(exc, f"posture.{HEADROOM_KEY}") from None


class Figures(NamedTuple):
    limit: int
    used: int
    figures_from: str
    note: str | None


def headroom_section(invocation: Run, tally: HeadroomTally) -> BackupHeadroom:
    """The ``backupHeadroom`` section: the limit and usage, the steady state, the days to the limit."""
    settings = invocation.settings
    per_day = 24 / settings.schedule_period_hours
    figures = limit_figures(invocation, tally)
    retention = Retention(
        settings.retention_days, settings.retention_count, settings.retention_min_keep, settings.lock_days
    )
    found = headroom(retention, Pace(tally.sources, per_day, tally.tool_backups, figures.used, figures.limit))
    return BackupHeadroom(
        limit=figures.limit,
        used=figures.used,
        figures_from=figures.figures_from,
        note=figures.note,
        sources=tally.sources,
        tool_backups=tally.tool_backups,
        backups_per_day=round(per_day, 3),
        kept_per_source=found.per_source,
        steady_state=found.steady_tool,
        steady_used=found.steady_used,
        days_to_limit=None if found.days_to_limit is None else round(found.days_to_limit, 1),
    )


def limit_figures(invocation: Run, tally: HeadroomTally) -> Figures:
    """The tenancy's backup limit and usage in the function's region: the Limits service's where it
    answers, else ``BACKUP_LIMIT`` and the backups listed in scope, with the reason."""
    tenancy = getattr(invocation.client.credentials, "tenancy_id", None)
    if not tenancy:
        return _configured(invocation, tally, "the function's credentials name no tenancy to ask the Limits service")
    try:
        answer = resource_availability(
            invocation.client,
            invocation.region,
            BLOCK_STORAGE,
            BACKUP_COUNT,
            tenancy,
            deadline=invocation.call_deadline,
            retry=LIMITS_RETRY,
        )
    except NotAuthorizedOrNotFound as exc:
        reason = "the Limits service refused (grant read resource-availability in the tenancy)"
        return _configured(invocation, tally, reason, exc)
    except OciError as exc:
        return _configured(invocation, tally, f"the Limits service did not answer: {exc}", exc)
    if answer.used is None or answer.available is None:
        return _configured(invocation, tally, f"the Limits service gave no figures for {BACKUP_COUNT}")
    log.event("backup limit read", used=answer.used, available=answer.available, opc_request_id=answer.opc_request_id)
    return Figures(answer.used + answer.available, answer.used, "limits", None)


def _configured(invocation: Run, tally: HeadroomTally, reason: str, error: OciError | None = None) -> Figures:
    log.event("backup limit from BACKUP_LIMIT", logging.WARNING, reason=reason, error=str(error) if error else None)
    note = f"{reason}; usage is the backups listed in scope"
    return Figures(invocation.settings.backup_limit, tally.backups, "BACKUP_LIMIT", note)
