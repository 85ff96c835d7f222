"""The last lines of a pytest run (make test) name what was not checked, why, and how to check it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fdk_harness import ROOT
from tests.skip_summary import summary_lines


def test_nothing_skipped_says_so() -> None:
    assert summary_lines([], 0, "validated with the offline validator x") == ["every check ran (nothing skipped)"]


def test_skips_are_named_with_their_reason_and_how_to_run_them() -> None:
    lines = summary_lines(
        ["terraform is not on PATH", "terraform is not on PATH", "some other reason"],
        1,
        "SKIPPED: no registry access and no offline validator",
    )
    assert lines[0].startswith("NOT CHECKED: terraform validate (SKIPPED: no registry access")
    assert "terraform -chdir=terraform/examples/basic init" in lines[0] or "TF_VALIDATE" in lines[0]
    assert lines[1].startswith(
        "NOT CHECKED: 2 test(s) skipped: terraform is not on PATH; to check them: install Terraform"
    )
    assert lines[2] == "NOT CHECKED: 1 test(s) skipped: some other reason"
    assert lines[3] == "not run here: the scale tests (marked slow): make test-slow"


def test_a_real_run_ends_with_the_summary(tmp_path: Path) -> None:
    """A pytest run of a skipping test module, as make test runs pytest: the reason is in the last lines."""
    module = tmp_path / "test_skips.py"
    module.write_text("import pytest\n\ndef test_a():\n    pytest.skip('terraform is not on PATH')\n")
    outcome = tmp_path / "validate.outcome"
    outcome.write_text("SKIPPED: no registry access and no offline validator\n")
    env = {**os.environ, "TF_VALIDATE_OUTCOME": str(outcome), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.skip_summary", "-p", "no:cacheprovider", str(module)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    tail = done.stdout.strip().splitlines()[-4:]
    assert any(line.startswith("NOT CHECKED: terraform validate") for line in tail), done.stdout
    assert any("1 test(s) skipped: terraform is not on PATH" in line for line in tail), done.stdout
