"""``make demo`` end to end (a subprocess, as CI runs it), its failure path, and the pure parts of ``make invoke``.

``demo/invoke.py`` talks to a real tenancy: only its argument handling is tested here, never a run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.invoke import UsageError, build_environ, fn_headers, parse_config, wants_dry_run
from demo.report import human_part, short_id, table
from demo.scenario import ages_youngest_first
from shared.oci.models import VolumeBackup
from tests.fdk_harness import ROOT


def run_demo(*args: str) -> tuple[int, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "demo", *args],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("OCI_")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


@pytest.fixture(scope="module")
def demo_run() -> tuple[int, str, float]:
    return run_demo()


def test_demo_passes_every_step(demo_run: tuple[int, str, float]) -> None:
    code, output, seconds = demo_run
    assert code == 0, output
    assert "Demo passed: all 8 steps did what they should" in output
    assert "[FAIL]" not in output and "Traceback" not in output
    assert seconds < 60
    for heading in (
        "Step 1. A volume is created and gets its first backup",
        "Step 2. The backup finishes and is copied to the DR region",
        "Step 3. A volume group backup is re-tagged with its members and copied to the DR region",
        "Step 4. A scheduled sweep backs up the fleet and prunes by retention; a locked backup stays",
        "Step 5. A manual HTTP call, without and with credentials",
        "Step 6. Protection posture: an unprotected volume is found, backed up, then counted",
        "Step 7. Restore tests: a volume, a boot volume and a group restore; a FAULTY one is reported",
        "Step 8. Recovery drill: the home region is lost; the ledger stack comes back in the DR region",
    ):
        assert heading in output


def test_demo_tells_the_story(demo_run: tuple[int, str, float]) -> None:
    _, output, _ = demo_run
    lines = output.splitlines()

    def line_with(*parts: str) -> str:
        found = [line for line in lines if all(p in line for p in parts)]
        assert found, f"no line with {parts} in:\n{output}"
        return found[0]

    # the Events service delivers by rule, and only in the home region
    line_with("createvolume.end", "app-data", "create-backup", "1 created")
    line_with("createvolumebackup.end", "copy-backup", "1 copied")
    line_with("createvolumegroupbackup.end", "retag-group-backup", "3 updated")
    line_with("no rule matches", "copyvolumebackup.end (us-phoenix-1)")
    # what the operator reads back
    line_with("(DR copy from us-ashburn-1)", "AVAILABLE")
    line_with("[ok]", "the group backup is now named erp-incremental-")
    line_with("web-01", "1 d, 8 d, 90 d", "2")  # youngest first, by age (not as text)
    # step 3: the retag sweep's digest; its 7 event runs went well, so they stay quiet (NOTIFY_ON_EVENTS=failures)
    line_with("[ok]", "the topic received the digest of the step's run (7 quiet: event runs that went well")
    line_with("erp-db and erp-logs (tag app=erp)")
    line_with("[ok]", "it deleted the 7 unlocked backups of the tool older than 30 days")
    line_with("SKIPPED", "web-02-incremental-40d-ago", "locked until", "(retention lock); kept")
    line_with("[ok]", "copy-backup copied the group backup", "to us-phoenix-1")
    line_with("(DR copy from us-ashburn-1)", "volumegroupbackup:", "AVAILABLE", "2")
    # the gateway: refused without its headers, accepted with them
    line_with("HTTP 401", "NotAuthenticated", "authorization")
    line_with("HTTP 200", "1 created")
    # notifications as a subscriber reads them: subject, then the human part only
    line_with("[ok]", "the topic received no digest (1 quiet: event runs that went well")  # steps 1 and 2
    assert "Subject: [ok] create-backup (event" not in output and "Subject: [ok] copy-backup (event" not in output
    line_with("Subject: [ok] create-backup (schedule, us-ashburn-1): 7 created, 7 deleted, 1 skipped")
    line_with("Subject: [ok] create-backup (http, us-ashburn-1): 1 created")
    # protection posture: unprotected in the result, the digest and the metric, then protected
    line_with("db-legacy", "volume", "72 h ago")
    line_with("| Protection: 6 of 7 protected within 36 h; unprotected: db-legacy (last backup 3 d ago)")
    line_with("| Protection: 7 of 7 protected within 36 h")
    line_with("[ok]", "resources_unprotected = 1")
    line_with("[ok]", "resources_unprotected = 0")
    # restore tests: each kind restored, checked, recorded and deleted; a FAULTY one reported
    line_with("createvolumegroup.end", "pay-vg (restore test)", "restore-backup", "1 deleted, 1 verified")
    line_with("failed", "pay-cache (restore test)", "FAULTY")
    line_with("[ok]", "every test resource is deleted")
    line_with("| Restore tests: 3 of 4 restore-verified within 30 days; failed: pay-cache (backup ", "came up FAULTY")
    line_with("[ok]", "ledger-vg comes back whole from its group backup")
    line_with("[ok]", "it creates nothing twice")
    line_with("| Applied recovery ", "worst recovery point")
    assert "Result (JSON)" not in output


def test_demo_exits_1_and_says_why_when_a_step_fails() -> None:
    code, output, _ = run_demo("--fault", "CopyVolumeBackup")
    assert code == 1, output
    assert "DEMO FAILED: 2 of 8 steps did not do what they should" in output
    assert "step 2 (The backup finishes and is copied to the DR region): it copied the backup" in output
    # one root cause, one message: step 2's copy failure is told; the later copies that fail the same way
    # (step 6 copies the sweep's 8 backups) are held back
    assert output.count("Subject: [FAILED] copy-backup (event, us-ashburn-1): 1 failed") == 1, output
    assert "Failure key: " in output
    assert "digest held back: the same failure was published in this window" in output
    assert "No copy was started" in output and "The copy completes" not in output
    assert "Last log lines of copy-backup:" in output


def test_demo_checks_the_digests_it_claims() -> None:
    """No digest arrives (PublishMessage fails): every step says which digest is missing, the demo fails."""
    code, output, _ = run_demo("--fault", "PublishMessage")
    assert code == 1, output
    assert "DEMO FAILED: 6 of 8 steps did not do what they should" in output  # steps 1 and 2 publish nothing
    assert "no digest for '[ok] create-backup (schedule, us-ashburn-1): 7 created, 7 deleted, 1 skipped'" in output
    assert "no digest for '[ok] create-backup (http, us-ashburn-1): 1 created' (digest not published: " in output
    assert "Notifications received (0):" in output and "Subject:" not in output


def test_demo_lists_the_operations_for_an_unknown_fault() -> None:
    code, output, _ = run_demo("--fault", "NoSuchOperation")
    assert code == 2, output
    assert "Traceback" not in output
    assert "unknown --fault operation NoSuchOperation" in output
    assert "CopyVolumeBackup" in output and "PublishMessage" in output


def test_table_aligns_columns() -> None:
    text = table(["A", "LONGER"], [("xyz", 1), (None, True)])
    assert text.splitlines() == [
        "  A    LONGER",
        "  ---  ------",
        "  xyz  1",
        "  -    yes",
    ]
    assert table(["A"], []).splitlines()[-1] == "  (none)"


def test_kept_ages_sort_by_time_not_as_text() -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    backups = [
        VolumeBackup(id=f"b{days}", compartment_id="c", lifecycle_state="AVAILABLE", time_created=now - timedelta(days))
        for days in (40, 1, 75, 8)
    ]
    assert ages_youngest_first(backups, now) == ["1 d", "8 d", "40 d", "75 d"]


def test_short_id_and_human_part() -> None:
    assert short_id("ocid1.volumebackup.oc1.iad.aaaaaaaabcdef123456") == "volumebackup:123456"
    assert short_id(None) == "-"
    assert human_part("Outcome: ok.\n\nItems:\n- x\n\nResult (JSON):\n{}") == "Outcome: ok.\n\nItems:\n- x"


def test_invoke_config_pairs_and_continued_values() -> None:
    assert parse_config("") == {}
    assert parse_config("COMPARTMENT_IDS=ocid1.a,ocid1.b,SELECTOR=backup=daily") == {
        "COMPARTMENT_IDS": "ocid1.a,ocid1.b",
        "SELECTOR": "backup=daily",
    }
    assert parse_config("RETAG_FREEFORM_TAGS=env=prod,team=db") == {"RETAG_FREEFORM_TAGS": "env=prod,team=db"}
    with pytest.raises(UsageError, match="CONFIG"):
        parse_config("lowercase=1")


@pytest.mark.parametrize(
    ("value", "dry"), [(None, True), ("", True), ("1", True), ("true", True), ("0", False), ("false", False)]
)
def test_invoke_is_a_dry_run_unless_told_otherwise(value: str | None, dry: bool) -> None:
    assert wants_dry_run(value) is dry


def test_invoke_refuses_an_unclear_dry_run() -> None:
    with pytest.raises(UsageError, match="DRY_RUN"):
        wants_dry_run("maybe")


def test_invoke_environ() -> None:
    base = {"HOME": "/home/op", "OCI_RESOURCE_PRINCIPAL_RPST": "x", "OCI_CONFIG_PROFILE": "ops", "DRY_RUN": "0"}
    environ = build_environ(base, "copy_backup", {"COPY_DESTINATION_REGIONS": "us-phoenix-1"}, dry_run=True)
    assert environ == {
        "HOME": "/home/op",
        "OCI_CONFIG_PROFILE": "ops",
        "COPY_DESTINATION_REGIONS": "us-phoenix-1",
        "HANDLER": "copy_backup",
        "DRY_RUN": "true",
    }
    with pytest.raises(UsageError, match="HANDLER"):
        build_environ(base, "nope", {}, dry_run=True)
    with pytest.raises(UsageError, match="DRY_RUN"):
        build_environ(base, "copy_backup", {"DRY_RUN": "false"}, dry_run=True)


def test_invoke_headers_carry_a_deadline() -> None:
    headers = fn_headers(300)
    assert set(headers) == {"fn-call-id", "fn-deadline"} and headers["fn-deadline"].endswith("Z")


def test_invoke_says_which_profile_tenancy_and_region_it_acts_in(tmp_path: Path) -> None:
    from demo.invoke import who
    from shared.oci.providers import resolve_credentials
    from tests.oci.test_credentials import OTHER_USER, TENANCY, api_key_config

    api_key_config(tmp_path)
    env = {"OCI_CLI_PROFILE": "other", "OCI_CONFIG_FILE": str(tmp_path / ".oci" / "config")}
    said = who(env, resolve_credentials(env, home=tmp_path))
    assert said.startswith(f"profile other of {tmp_path / '.oci' / 'config'}, tenancy {TENANCY}, region us-phoenix-1")
    assert OTHER_USER not in said


def test_make_invoke_and_smoke_print_only_what_they_mean_to() -> None:
    """``make invoke``'s stdout is the result alone (no command echo); ``make smoke OUTPUTS=...`` reads the file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    invoke = subprocess.run(["make", "-n", "invoke"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert invoke.stdout.strip().splitlines()[-1].startswith(".venv/bin/python -m demo.invoke")
    assert "@$(PY) -m demo.invoke" in (ROOT / "Makefile").read_text()
    smoke = subprocess.run(
        ["make", "-n", "smoke", "OUTPUTS=out.json"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert smoke.stdout.strip().splitlines()[-1].endswith("-m demo.smoke --outputs out.json")
