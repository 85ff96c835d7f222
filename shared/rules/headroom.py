"""Backup-limit headroom: how many backups the tool's retention converges to, and when the tenancy
reaches its backup limit at this pace. A pure decision, no I/O.

The model (a source gets ``per_day`` backups a day from the schedule; each run prunes by retention):

* a run prunes a source's AVAILABLE backups (``shared.rules.retention``) while its new backup is still in
  progress, so once retention has caught up a source has ``min(keep_count, max_age_days x per_day)``
  backups (the one exactly ``max_age_days`` old counted: an upper bound), at least ``min_keep``, at least
  those a lock still holds (``lock_days x per_day``), plus the run's new one; with neither an age nor a
  count limit it never stops growing;
* the tool's backups grow by ``sources x per_day`` a day until they reach ``sources x`` that steady
  count (above it, the next run prunes them down to it);
* backups the tool did not make stay as they are (their owners' pace is not known here).

The tenancy reaches its limit when ``used`` gets to ``limit``: now when it is there already, never when
the steady state stays below it (or nothing grows), else after ``(limit - used) / growth`` days.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Retention(NamedTuple):
    """What create-backup keeps of a source (``RETENTION_DAYS``, ``RETENTION_COUNT``, ``RETENTION_MIN_KEEP``,
    ``BACKUP_LOCK_DAYS``); 0 turns an age or count limit off."""

    max_age_days: int = 0
    keep_count: int = 0
    min_keep: int = 1
    lock_days: int = 0


class Pace(NamedTuple):
    """The fleet and the tenancy as a run found them."""

    sources: int  # sources in scope, each backed up every period
    per_day: float  # backups a source gets a day (24 / the schedule period in hours)
    tool_backups: int  # the tool's backups of those sources now
    used: int  # the tenancy's backups counted against the limit now (the tool's included)
    limit: int  # the tenancy's backup limit


class Headroom(NamedTuple):
    per_source: int | None  # backups a source keeps once retention has caught up; None: no bound
    steady_tool: int | None  # the tool's backups then (sources x per_source); None: no bound
    steady_used: int | None  # the tenancy's then (the others' unchanged); None: no bound
    growth_per_day: float  # backups the tool adds a day until it reaches its steady count
    days_to_limit: float | None  # None: never at this retention


def per_source(retention: Retention, per_day: float) -> int | None:
    """Backups one source keeps in the steady state; None when retention sets no bound."""
    bounds = []
    if retention.keep_count:
        bounds.append(retention.keep_count)
    if retention.max_age_days:
        bounds.append(math.floor(retention.max_age_days * per_day))
    if not bounds:
        return None
    locked = math.floor(retention.lock_days * per_day)
    return max(min(bounds), retention.min_keep, locked) + 1  # + the run's new backup


def headroom(retention: Retention, pace: Pace) -> Headroom:
    """The steady state the tool's retention converges to, and the days until ``used`` reaches ``limit``."""
    keep = per_source(retention, pace.per_day)
    steady_tool = None if keep is None else pace.sources * keep
    others = max(0, pace.used - pace.tool_backups)
    steady_used = None if steady_tool is None else others + steady_tool
    growing = steady_tool is None or pace.tool_backups < steady_tool
    growth = pace.sources * pace.per_day if growing else 0.0
    return Headroom(keep, steady_tool, steady_used, growth, _days(pace, steady_used, growth))


def _days(pace: Pace, steady_used: int | None, growth: float) -> float | None:
    if pace.used >= pace.limit:
        return 0.0
    if growth <= 0 or (steady_used is not None and steady_used < pace.limit):
        return None
    return (pace.limit - pace.used) / growth
