"""Plain-text output of the demo: aligned tables, checks, notifications. No dependencies."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

RESULT_MARKER = "\n\nResult (JSON):"


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], indent: str = "  ") -> str:
    """Columns left-aligned to their widest cell, a dashed rule under the header."""
    body = [[cell(value) for value in row] for row in rows]
    head = [str(h) for h in headers]
    widths = [max([len(head[i])] + [len(row[i]) for row in body]) for i in range(len(head))]

    def line(cells: Sequence[str]) -> str:
        return (indent + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))).rstrip()

    lines = [line(head), line(["-" * w for w in widths])]
    lines.extend(line(row) for row in body)
    if not body:
        lines.append(indent + "(none)")
    return "\n".join(lines)


def short_id(ocid: str | None) -> str:
    """``ocid1.volumebackup.oc1.iad.aaaa...xyz123`` -> ``volumebackup:xyz123`` (enough to tell apart)."""
    if not ocid:
        return "-"
    parts = ocid.split(".")
    if len(parts) < 5 or parts[0] != "ocid1":
        return ocid
    return f"{parts[1]}:{parts[-1][-6:]}"


def human_part(body: str) -> str:
    """The part of a digest a person reads: everything before the attached JSON."""
    return body.split(RESULT_MARKER, 1)[0].rstrip()


def heading(text: str) -> None:
    say()
    say(text)
    say("=" * len(text))


def subheading(text: str) -> None:
    say()
    say(text)


@dataclass
class Check:
    what: str
    ok: bool
    got: str = ""


@dataclass
class Step:
    """One step of the demo: its checks decide whether it did what it should."""

    number: int
    title: str
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.checks) and all(c.ok for c in self.checks)

    def expect(self, ok: bool, what: str, got: object = None) -> bool:
        """Record and print one check; ``got`` is shown when it fails."""
        shown = "" if ok or got is None else cell(got)
        self.checks.append(Check(what, ok, shown))
        say(f"  [ok]   {what}" if ok else f"  [FAIL] {what}" + (f" -- got: {shown}" if shown else ""))
        return ok

    def failures(self) -> list[str]:
        problems = [f"{c.what}" + (f" (got: {c.got})" if c.got else "") for c in self.checks if not c.ok]
        if self.error:
            problems.append(self.error)
        if not self.checks and not self.error:
            problems.append("no checks ran")
        return problems
