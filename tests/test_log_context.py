"""Every log line of a run carries the call's context, also the lines the sweep's worker threads write."""

from __future__ import annotations

from emulator import EmulatorControl
from tests.conftest import HOME_REGION, StartFunction

DAY = 86400.0
MANAGED = {"backup-managed-by": "oci-block-backup"}


def test_every_line_of_a_concurrent_sweep_carries_the_call_id(
    emu: EmulatorControl, start_function: StartFunction, compartment: str
) -> None:
    for number in range(6):
        volume = emu.create_volume(HOME_REGION, compartment, f"web{number}", freeform_tags={"backup": "daily"})
        emu.seed_backup(HOME_REGION, volume["id"], age_seconds=40 * DAY, freeform_tags=MANAGED)
        emu.seed_backup(HOME_REGION, volume["id"], age_seconds=1 * DAY, freeform_tags=MANAGED)
    fn = start_function(
        "create_backup",
        {"SELECTOR": "backup=daily", "RETENTION_DAYS": "30", "MAX_CONCURRENCY": "4", "BACKUP_KINDS": "volume"},
    )
    call_id = "01TESTCALLID0000000000000000"
    answer = fn.call({"trigger": "schedule", "schedule": "nightly"}, headers={"Fn-Call-Id": call_id})
    assert answer.json()["counts"] == {"created": 6, "deleted": 6}, fn.logs()

    lines = fn.log_lines()
    first = next(i for i, line in enumerate(lines) if line.get("message") == "invocation")
    run = lines[first:]
    operations = {line.get("operation") for line in run if line.get("message") == "oci call"}
    assert {"CreateVolumeBackup", "DeleteVolumeBackup"} <= operations  # the workers' calls are among them
    missing = [line for line in run if line.get("call_id") != call_id or line.get("function") != "create_backup"]
    assert not missing, missing
