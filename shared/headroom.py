"""The backup-limit headroom section of a report (``backupHeadroom``): how many backups the tenancy has
against its limit, how many the tool keeps, what its retention converges to, and when the tenancy
reaches the limit at this pace (``shared.rules.headroom``).

The limit and usage come from the Limits service (``figuresFrom: "limits"``: GetResourceAvailability of
``block-storage`` / ``backup-count`` in the tenancy) or, when that call is refused or fails, from the
config key ``BACKUP_LIMIT`` with the backups the run listed in scope as the usage (``figuresFrom:
"BACKUP_LIMIT"``, a lower bound: backups outside the scope are not seen), the ``note`` saying why.

Gauges: ``backup_headroom_days`` (days until the limit; ``NEVER_DAYS`` when never, so that an alarm
"under 7 days" stays quiet), ``backups_used`` and ``backup_limit``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.results import Gauge

BACKUP_HEADROOM_DAYS: Final = "backup_headroom_days"
BACKUPS_USED: Final = "backups_used"
BACKUP_LIMIT: Final = "backup_limit"
NEVER_DAYS: Final = 36500.0  # the gauge's value for "never": a hundred years


class BackupHeadroom(BaseModel):
    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    limit: int
    used: int
    figures_from: Literal["limits", "BACKUP_LIMIT"] = Field(alias="figuresFrom")
    note: str | None = None
    sources: int
    tool_backups: int = Field(alias="toolBackups")
    backups_per_day: float = Field(alias="backupsPerDay")  # per source, from SCHEDULE_PERIOD_HOURS
    kept_per_source: int | None = Field(alias="keptPerSource")  # null: retention sets no bound
    steady_state: int | None = Field(alias="steadyState")  # the tool's backups once retention caught up
    steady_used: int | None = Field(alias="steadyUsed")  # the tenancy's then
    days_to_limit: float | None = Field(alias="daysToLimit")  # null: never at this retention

    KEY: ClassVar[str] = "backupHeadroom"

    @property
    def key(self) -> str:
        return self.KEY

    def document(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for name in ("keptPerSource", "steadyState", "steadyUsed", "daysToLimit"):
            data.setdefault(name, None)  # null means no bound / never, also when the document drops nulls
        return data

    def digest_lines(self, now: datetime) -> list[str]:
        """One line: "Backup limit: 76,000 of 100,000 used (Limits service); the tool keeps 40,000 backups of
        2,000 sources, 122,000 once its retention has caught up; at this retention the tenancy reaches 100,000
        backups in 12 days"."""
        where = "Limits service" if self.figures_from == "limits" else f"BACKUP_LIMIT; {self.note or 'no usage read'}"
        steady = "no bound (retention off)" if self.steady_state is None else f"{self.steady_state:,}"
        return [
            f"Backup limit: {self.used:,} of {self.limit:,} used ({where}); the tool keeps {self.tool_backups:,} "
            f"backups of {self.sources:,} sources, {steady} once its retention has caught up; {self._when()}."
        ]

    def _when(self) -> str:
        if self.used >= self.limit:
            return f"the tenancy is at its limit of {self.limit:,} backups: new backups are refused"
        if self.days_to_limit is None:
            return f"at this retention the tenancy never reaches {self.limit:,} backups"
        if self.days_to_limit < 1:
            return f"at this retention the tenancy reaches {self.limit:,} backups in less than a day"
        days = math.floor(self.days_to_limit)
        return f"at this retention the tenancy reaches {self.limit:,} backups in {days} day{'s' if days != 1 else ''}"

    def gauges(self) -> list[Gauge]:
        days = NEVER_DAYS if self.days_to_limit is None else min(self.days_to_limit, NEVER_DAYS)
        return [
            Gauge(BACKUP_HEADROOM_DAYS, days, {}),
            Gauge(BACKUPS_USED, self.used, {}),
            Gauge(BACKUP_LIMIT, self.limit, {}),
        ]
