"""pytest plugin: the last line of the run says what was not checked and why, and how to check it.

``-q`` hides skip reasons, and ``make test`` runs ``terraform validate`` before pytest: a clone without
registry access or Terraform would pass quietly with parts unchecked. ``TF_VALIDATE_OUTCOME`` (set by
``make pytest``) names the file terraform/validate.sh wrote its outcome to.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

HOW = {
    "terraform": "install Terraform >= 1.9 and give it registry access (terraform -chdir=terraform/examples/basic "
    "init), or point TF_VALIDATE at an offline validator",
    "tf-validate": "give Terraform registry access, or point TF_VALIDATE at an offline validator",
    ".venv-checkov": "run make terraform-check (it creates .venv-checkov)",
    "package index": "give pip access to a package index",
}


def _reason(report: Any) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return str(reason).removeprefix("Skipped: ")


def _how(reason: str) -> str:
    return next((how for key, how in HOW.items() if key in reason), "")


def summary_lines(skip_reasons: list[str], slow_left_out: int, validate_outcome: str) -> list[str]:
    lines = []
    if "SKIPPED" in validate_outcome:
        lines.append(f"NOT CHECKED: terraform validate ({validate_outcome.strip()}); to check it: {HOW['tf-validate']}")
    for reason, count in Counter(skip_reasons).most_common():
        how = _how(reason)
        lines.append(f"NOT CHECKED: {count} test(s) skipped: {reason}" + (f"; to check them: {how}" if how else ""))
    if slow_left_out:
        lines.append("not run here: the scale tests (marked slow): make test-slow")
    if not lines or all(line.startswith("not run here") for line in lines):
        lines.append("every check ran (nothing skipped)")
    return lines


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    reasons = [_reason(report) for report in terminalreporter.stats.get("skipped", [])]
    deselected = 1 if "not slow" in (getattr(config.option, "markexpr", "") or "") else 0
    outcome_file = os.environ.get("TF_VALIDATE_OUTCOME")
    outcome = Path(outcome_file).read_text(encoding="utf-8") if outcome_file and Path(outcome_file).is_file() else ""
    terminalreporter.write_sep("-", "what was not checked")
    for line in summary_lines(reasons, deselected, outcome):  # deselected: 1 when -m "not slow" left them out
        terminalreporter.write_line(line, bold=line.startswith("NOT CHECKED"))
