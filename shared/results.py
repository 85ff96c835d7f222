"""The one result document every invocation ends with, and its readable digest for Notifications.

A run that measured something about the fleet (protection, DR protection, restore coverage) adds a
*section* to its report: an object that says what it adds to the document (under its ``key``), its
lines in the digest, and its gauges for Monitoring (``Section``). The report knows sections by this
protocol only, never their models.
"""

import json
import re
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, NamedTuple, Protocol

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from shared import log
from shared.oci.errors import DeadlineExceeded
from shared.oci.notifications import MAX_MESSAGE_BYTES
from shared.rules.naming import clean

DIGEST_BUDGET: Final = MAX_MESSAGE_BYTES - 2048  # room for the JSON envelope ONS adds around body+title
# OCI Functions carries at most 6 MB in an invoke payload; API Gateway and the callers parse the answer
# whole. The answer keeps its items under 512 KiB (about 1,500 items), failed and deferred ones first.
ANSWER_BUDGET: Final = 512 * 1024


class ItemStatus(StrEnum):
    CREATED = "created"
    COPIED = "copied"
    UPDATED = "updated"
    DELETED = "deleted"
    SKIPPED = "skipped"
    DEFERRED = "deferred"
    FAILED = "failed"
    PLANNED = "planned"  # dry-run: what would have been done
    STARTED = "started"  # a test restore began (restore-backup)
    VERIFIED = "verified"  # a test restore passed its checks
    LEFTOVER_DELETED = "leftover-deleted"  # a test resource past its expiry, deleted whatever its state


ALREADY_DELETED: Final = "already deleted, by a concurrent run (not counted twice)"


def status_for(error: Exception) -> ItemStatus:
    """What an error makes of an item: out of time is ``deferred`` (the next run takes it), anything else ``failed``."""
    return ItemStatus.DEFERRED if isinstance(error, DeadlineExceeded) else ItemStatus.FAILED


class Gauge(NamedTuple):
    """One metric stream's value; the metrics add ``function`` and ``region`` to the dimensions."""

    name: str
    value: float
    dimensions: dict[str, str]


class Section(Protocol):
    """What a run measured, as one part of the report."""

    @property
    def key(self) -> str:
        """The result document's field that holds it, e.g. ``posture``."""
        ...

    def document(self) -> dict[str, Any]:
        """Its JSON value in the result document."""
        ...

    def digest_lines(self, now: datetime) -> list[str]:
        """Its lines in the digest, read at a glance."""
        ...

    def gauges(self) -> list[Gauge]:
        """Its metric streams."""
        ...


class Item(BaseModel):
    """One thing the run acted on (or decided not to)."""

    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    status: ItemStatus
    action: str  # e.g. "backup", "copy", "retag", "prune"
    resource_id: str = Field(alias="resourceId")
    result_id: str | None = Field(default=None, alias="resultId")
    name: str | None = None
    region: str | None = None
    reason: str | None = None
    opc_request_id: str | None = Field(default=None, alias="opcRequestId")
    # restore tests: seconds from the start to AVAILABLE (an upper bound when no event said when), to hydrated
    restore_seconds: float | None = Field(default=None, alias="restoreSeconds")
    hydrated_seconds: float | None = Field(default=None, alias="hydratedSeconds")
    upper_bound: bool | None = Field(default=None, alias="upperBound")


class RunResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    function: str
    trigger: str
    dry_run: bool = Field(alias="dryRun")
    started_at: datetime = Field(alias="startedAt")
    finished_at: datetime | None = Field(default=None, alias="finishedAt")
    counts: dict[str, int] = Field(default_factory=dict)
    items: list[Item] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    error: str | None = None
    status: int | None = None  # the HTTP status of the answer (200, 202, 4xx, 500), whatever the trigger
    items_cut: int | None = Field(default=None, alias="itemsCut")  # items left out of the answer (size limit)
    digest_message_id: str | None = Field(default=None, alias="digestMessageId")  # set once the digest is published
    call_id: str | None = Field(default=None, alias="callId")  # the platform's call id: the logs are keyed by it
    region: str | None = None  # the function's region
    locked_kept: int | None = Field(default=None, alias="lockedKept")  # set when the run pruned
    _sections: dict[str, Section] = PrivateAttr(default_factory=dict)

    @property
    def sections(self) -> list[Section]:
        return list(self._sections.values())

    def to_json(self) -> str:
        if not self._sections:
            return self.model_dump_json(by_alias=True, exclude_none=True)
        document = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        document.update({section.key: section.document() for section in self._sections.values()})
        return json.dumps(document, separators=(",", ":"))

    @property
    def all_failed(self) -> bool:
        failed = ItemStatus.FAILED
        return bool(self.items) and all(i.status is failed for i in self.items) and set(self.counts) <= {failed.value}

    @property
    def has_failures(self) -> bool:
        return self.error is not None or any(i.status is ItemStatus.FAILED for i in self.items)

    @property
    def has_deferred(self) -> bool:
        return bool(self.counts.get(ItemStatus.DEFERRED.value)) or any(
            i.status is ItemStatus.DEFERRED for i in self.items
        )


class Report:
    """Collects items from concurrent workers; ``finish`` freezes them into a RunResult."""

    def __init__(
        self,
        function: str,
        trigger: str,
        dry_run: bool,
        started_at: datetime,
        call_id: str | None = None,
        region: str | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._result = RunResult(
            function=function, trigger=trigger, dry_run=dry_run, started_at=started_at, call_id=call_id, region=region
        )
        self._sections: dict[str, Section] = {}
        self._more: Counter[str] = Counter()

    def add(self, item: Item) -> Item:
        with self._lock:
            self._result.items.append(item)
        return item

    def count_more(self, status: ItemStatus, count: int) -> None:
        """``count`` more items of ``status`` that are counted, not listed one by one (a backlog the run
        says as a number, in a note of its own)."""
        with self._lock:
            self._more[status.value] += count

    def note(self, text: str) -> None:
        with self._lock:
            self._result.notes.append(text)

    def fail(self, text: str) -> None:
        with self._lock:
            self._result.error = text

    def add_section(self, section: Section) -> None:
        """What the run measured; a second section with the same key replaces the first."""
        with self._lock:
            self._sections[section.key] = section

    def count_locked(self, kept_locked: int) -> None:
        """Retention ran: ``kept_locked`` more of the backups it kept carry a lock."""
        with self._lock:
            self._result.locked_kept = (self._result.locked_kept or 0) + kept_locked

    def items(self) -> list[Item]:
        with self._lock:
            return list(self._result.items)

    def finish(self, finished_at: datetime) -> RunResult:
        """The result so far (items are never changed once added: the lists are copied, not the items)."""
        with self._lock:
            result = self._result.model_copy(
                update={"items": list(self._result.items), "notes": list(self._result.notes)}
            )
            result._sections = dict(self._sections)
            more = Counter(self._more)
        counter = Counter(item.status.value for item in result.items) + more
        result.counts = {
            status.value: counter.get(status.value, 0) for status in ItemStatus if counter.get(status.value)
        }
        result.finished_at = finished_at
        return result


def answer_json(result: RunResult, budget: int = ANSWER_BUDGET) -> str:
    """The result document as the function answers it: every count exact, but at most ``budget`` bytes
    of items (failed and deferred first); what was left out is counted in ``itemsCut``, said in a note
    and logged, 100 items a line. Items are serialized one by one, so a large run never holds its
    whole document twice."""
    if not result.items:
        return result.to_json()
    ordered = sorted(result.items, key=_failures_first)
    texts = [item.model_dump_json(by_alias=True, exclude_none=True) for item in ordered]
    rest = len(result.model_copy(update={"items": []}).to_json().encode()) + 512  # room for the cut's note
    kept, size = 0, rest
    for text in texts:
        size += len(text.encode()) + 1
        if size > budget:
            break
        kept += 1
    cut = len(ordered) - kept
    if not cut:
        return _with_items(result, texts)
    note = (
        f"{cut} of {len(ordered)} items left out of this answer (response size limit); the counts cover "
        "every item, the left-out items are in the function's logs"
    )
    trimmed = result.model_copy(update={"items": [], "items_cut": cut, "notes": [*result.notes, note]})
    left_out = ordered[kept:]
    for start in range(0, len(left_out), 100):
        chunk = left_out[start : start + 100]
        log.event("items left out of the answer", items=[i.model_dump(by_alias=True, exclude_none=True) for i in chunk])
    return _with_items(trimmed, texts[:kept])


def _with_items(result: RunResult, items: list[str]) -> str:
    """``result``'s document with ``items`` (each already JSON) as its items."""
    document = result.model_copy(update={"items": []}).to_json()
    head, tail = document.split('"items":[]', 1)
    return f'{head}"items":[{",".join(items)}]{tail}'


_TITLES: Final = {
    "create_backup": "create-backup",
    "copy_backup": "copy-backup",
    "retag_group_backup": "retag-group-backup",
    "restore_backup": "restore-backup",
}
# What happens next to what failed, and where to read more (README "Troubleshooting").
_NEXT_STEPS: Final = {
    "create_backup": "the next scheduled sweep retries what failed",
    "copy_backup": "the hourly reconcile retries what failed",
    "retag_group_backup": "the next scheduled sweep retries what failed",
    "restore_backup": "the restore posture lists what failed as unverified until a later test passes",
}
_OCID = re.compile(r"\b(ocid1\.[a-z0-9]+)\.[a-z0-9-]*\.[a-z0-9-]*\.([a-z0-9]{6,})\b")
SHORT_ID_TAIL: Final = 6


def short_ids(text: str) -> str:
    """Long OCIDs in a text line as ``ocid1.<type>...<last 6>`` (the attached JSON keeps them whole)."""
    return _OCID.sub(lambda m: f"{m[1]}...{m[2][-SHORT_ID_TAIL:]}", text)


def digest(result: RunResult, deployment: str | None = None, extra: Sequence[str] = ()) -> tuple[str, str]:
    """(title, body): a subject naming the deployment, function, trigger and region with the counts (or
    what failed), a body a person can act on (call id, failures first with the next step), the JSON
    attached. ``extra``: lines the caller adds under the outcome (e.g. failures held back).

    The body stays under the PublishMessage limit: item lines and the attached JSON are cut
    (and say so) when a large run would not fit.
    """
    name = _TITLES.get(result.function, result.function)
    counts = ", ".join(f"{n} {status}" for status, n in result.counts.items())
    outcome = "FAILED" if result.has_failures else "ok"
    dry = " [dry-run]" if result.dry_run else ""
    where = f"{result.trigger}, {result.region}" if result.region else result.trigger
    what = counts or ("run failed" if result.error else "nothing to do")
    if result.error and counts:
        what = f"run failed; {counts}"
    who = f"{deployment} {name}" if deployment else name
    title = f"[{outcome}] {who} ({where}){dry}: {what}"
    if result.error:
        title += f": {short_ids(result.error)}"
    head = [
        f"{name} ran on a{'n' if result.trigger[0] in 'aeiouh' else ''} {result.trigger} trigger"
        f"{f' in {result.region}' if result.region else ''}"
        f"{f' ({deployment})' if deployment else ''}"
        f"{' as a dry run (nothing was changed)' if result.dry_run else ''}.",
        f"Started {result.started_at.isoformat(timespec='seconds')}, "
        f"finished {result.finished_at.isoformat(timespec='seconds') if result.finished_at else '-'}"
        f"{f'; call id {result.call_id} (the function logs are keyed by it)' if result.call_id else ''}.",
        f"Outcome: {what}.",
    ]
    if result.has_failures:
        failed = "the run" if result.error else "the failed items below"
        head.append(
            f"Next step: {_NEXT_STEPS.get(result.function, 'the next run retries what failed')}; "
            f'for {failed} see README "Troubleshooting" and the function logs of this call.'
        )
    if result.error:
        head.append(f"Error: {result.error}")
    head.extend(extra)
    head.extend(line for section in result.sections for line in section.digest_lines(result.started_at))
    head.extend(_started_for_unprotected(result))
    if result.locked_kept:
        head.append(f"Locked: {result.locked_kept} of the kept backups carry a lock (not deletable before it expires).")
    head.extend(f"Note: {note}" for note in result.notes)
    head = [clean(short_ids(line)) for line in head]  # names and OCI's messages: no control characters to people
    lines = []
    room = DIGEST_BUDGET
    for item in sorted(result.items, key=_failures_first):  # no more lines than could fit
        lines.append(clean(short_ids(_item_line(item))))
        room -= len(lines[-1].encode()) + 1
        if room < 0:
            break
    attached = result.to_json() if room >= 0 and len(result.items) <= DIGEST_BUDGET // 64 else None
    body = _assemble(head, lines, attached)
    if len(body.encode()) > DIGEST_BUDGET and attached is not None:
        body = _assemble(head, lines, None)
    while len(body.encode()) > DIGEST_BUDGET and lines:
        lines = lines[: max(len(lines) // 2, 0)]
        cut = len(result.items) - len(lines)
        body = _assemble(head, [*lines, f"... and {cut} more items (see the function's logs)"], None)
    return clean(title)[:250], body


def _started_for_unprotected(result: RunResult) -> list[str]:
    """A line naming the unprotected resources (of any section) whose backup this very run started."""
    started = {i.resource_id: i for i in result.items if i.status is ItemStatus.CREATED and i.action == "backup"}
    names = [
        started[entry["resourceId"]].name or entry["resourceId"]
        for section in result.sections
        for entry in section.document().get("unprotected", [])
        if isinstance(entry, dict) and entry.get("resourceId") in started
    ]
    if not names:
        return []
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return [f"Backups started by this run for unprotected resources (counted once AVAILABLE): {shown}."]


def _failures_first(item: Item) -> int:
    order = (ItemStatus.FAILED, ItemStatus.DEFERRED)
    return order.index(item.status) if item.status in order else len(order)


def _item_line(item: Item) -> str:
    parts = [f"- {item.status.value.upper():8} {item.action} {item.name or item.resource_id}"]
    if item.result_id:
        parts.append(f"-> {item.result_id}")
    if item.region:
        parts.append(f"in {item.region}")
    if item.reason:
        parts.append(f"({item.reason})")
    return " ".join(parts)


def _assemble(head: list[str], lines: list[str], attached: str | None) -> str:
    body = "\n".join(head)
    if lines:
        body += "\n\nItems:\n" + "\n".join(lines)
    if attached is not None:
        body += "\n\nResult (JSON):\n" + json.dumps(json.loads(attached), indent=1)
    return body
