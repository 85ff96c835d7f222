"""The result document and its digest: readable, correct counts, always under the 64 KB limit."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.oci.models import MessageDetails
from shared.oci.notifications import MAX_MESSAGE_BYTES, message_size
from shared.results import Item, ItemStatus, Report, digest

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_counts_and_readable_digest() -> None:
    report = Report("create_backup", "schedule", False, T0)
    report.add(Item(status=ItemStatus.CREATED, action="backup", resource_id="v1", name="db01", result_id="b1"))
    report.add(Item(status=ItemStatus.FAILED, action="backup", resource_id="v2", name="db02", reason="boom"))
    report.add(Item(status=ItemStatus.CREATED, action="backup", resource_id="v3", name="db03", result_id="b3"))
    result = report.finish(T0)
    assert result.counts == {"created": 2, "failed": 1}
    title, body = digest(result)
    assert title == "[FAILED] create-backup (schedule): 2 created, 1 failed"
    lines = body.splitlines()
    assert lines[0] == "create-backup ran on a schedule trigger."
    items = lines[lines.index("Items:") + 1 :]
    assert items[0].startswith("- FAILED   backup db02") and "(boom)" in items[0]
    assert "Result (JSON):" in body and '"resultId": "b1"' in body


def test_huge_runs_still_fit() -> None:
    report = Report("copy_backup", "schedule", True, T0)
    for n in range(5000):
        report.add(Item(status=ItemStatus.PLANNED, action="copy", resource_id=f"ocid1.volumebackup.oc1.iad.{n:060d}"))
    title, body = digest(report.finish(T0))
    assert "[dry-run]" in title and "5000 planned" in title
    assert message_size(MessageDetails(title=title, body=body)) < MAX_MESSAGE_BYTES
    assert "more items (see the function's logs)" in body
