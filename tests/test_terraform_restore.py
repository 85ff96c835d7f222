"""terraform/restore.tf on the parsed HCL: restore-backup's Events rule watches the sandbox only, its grants
name the sandbox only (per operation), its schedule is active only with a sandbox, its config keys and
alarms are wired."""

from __future__ import annotations

import pytest

from tests.test_terraform import Config, _load  # skips this module too when python-hcl2 is missing


@pytest.fixture(scope="module")
def tf() -> Config:
    return _load()


def test_the_events_rule_watches_the_sandbox_compartment_only(tf: Config) -> None:
    rule = tf.resource("oci_events_rule", "restore")
    assert rule["for_each"] == "${local.restore_sandbox}"
    assert rule["compartment_id"] == "${each.value}"
    assert rule["condition"] == (
        '${jsonencode({eventType = local.event_types["restore_backup"], data = {compartmentId = [each.value]}})}'
    )
    (actions,) = rule["actions"]
    (action,) = actions["action"]
    assert action["function_id"] == '${oci_functions_function.this["restore_backup"].id}'
    assert tf.locals["restore_sandbox"] == (
        "${local.restore_enabled ? toset([var.restore_compartment_ocid]) : toset([])}"
    )


def test_the_sandbox_grants_are_per_operation_and_name_the_sandbox_only(tf: Config) -> None:
    policy = tf.resource("oci_identity_policy", "restore_sandbox")
    assert policy["for_each"] == "${local.restore_sandbox}" and policy["provider"] == "${oci.home}"
    dg = "Allow dynamic-group ${local.dynamic_group} to "
    assert policy["statements"] == [
        f"{dg}{{VOLUME_INSPECT, VOLUME_CREATE, VOLUME_DELETE}} in compartment id ${{each.value}}",
        f"{dg}{{VOLUME_GROUP_INSPECT, VOLUME_GROUP_CREATE, VOLUME_GROUP_DELETE}} in compartment id ${{each.value}}",
    ]
    (lifecycle,) = policy["lifecycle"]
    (precondition,) = lifecycle["precondition"]
    assert precondition["condition"] == "${!contains(local.sweep_compartment_ids, each.value)}"
    # nowhere else may the functions create or delete volumes
    for name, other in tf.resources["oci_identity_policy"].items():
        if name not in ("restore_sandbox", "recovery"):
            for statement in other["statements"]:
                assert "VOLUME_CREATE" not in statement and "VOLUME_DELETE" not in statement, (name, statement)


def test_the_schedule_runs_only_with_a_sandbox(tf: Config) -> None:
    schedule = tf.resource("oci_resource_scheduler_schedule", "this")
    assert schedule["state"] == (
        '${var.schedules_enabled && (each.key != "restore_backup" || local.restore_enabled) ? "ACTIVE" : "INACTIVE"}'
    )
    assert tf.variables["restore_backup_schedule"]["default"] == "0 4 * * *"  # daily
    assert tf.variables["restore_compartment_ocid"]["default"] == ""


def test_config_keys_and_alarms(tf: Config) -> None:
    config = tf.locals["handler_config"]["restore_backup"]
    # every function reads the sandbox: create-backup and copy-backup to leave test restores alone
    assert tf.locals["common_config_known"]["RESTORE_COMPARTMENT_ID"] == "${var.restore_compartment_ocid}"
    assert config["RESTORE_REGIONS"] == '${join(",", var.restore_regions)}'
    defaults = {
        "restore_verify_every_days": 30,
        "restore_ttl_minutes": 120,
        "restore_timeout_minutes": 60,
        "restores_per_run": 5,
        "restore_max_gb_per_run": 2048,
    }
    assert {name: tf.variables[name]["default"] for name in defaults} == defaults
    alarms = tf.locals["alarms"]
    assert alarms["restore_failed"]["enabled"] == "${var.alarm_restore_failed_enabled && local.restore_enabled}"
    window = "[${local.posture_interval.restore_backup}]"  # one restore-backup schedule period
    assert alarms["restore_failed"]["query"].startswith(f"restores_failed{window}")
    assert alarms["restore_leftovers"]["query"].startswith(f"restore_leftovers{window}")
    assert alarms["restore_unverified"]["query"].startswith(f"resources_restore_unverified{window}")
    assert alarms["restore_unverified"]["query"].endswith(".min() > 0")  # the newest run's value
    alarm = tf.resource("oci_monitoring_alarm", "posture")
    assert alarm["pending_duration"] == "${each.value.pending}"


def test_recovery_is_off_by_default_and_grants_create_only_in_the_recovery_compartments(tf: Config) -> None:
    assert tf.variables["enable_recovery"]["default"] is False
    assert tf.locals["recovery_compartments"] == (
        "${var.enable_recovery ? toset(var.recovery_compartment_ids) : toset([])}"
    )
    config = tf.locals["handler_config"]["restore_backup"]
    assert config["RECOVERY_COMPARTMENT_IDS"] == "${local.recovery_config.RECOVERY_COMPARTMENT_IDS}"
    assert config["RECOVERY_ALLOWED_SUBJECTS"] == "${local.recovery_config.RECOVERY_ALLOWED_SUBJECTS}"
    assert tf.locals["recovery_config"]["RECOVERY_COMPARTMENT_IDS"] == (
        '${var.enable_recovery ? join(",", var.recovery_compartment_ids) : ""}'
    )
    policy = tf.resource("oci_identity_policy", "recovery")
    assert policy["for_each"] == "${local.recovery_compartments}" and policy["provider"] == "${oci.home}"
    dg = "Allow dynamic-group ${local.dynamic_group} to "
    assert policy["statements"] == [
        f"{dg}{{VOLUME_INSPECT, VOLUME_CREATE}} in compartment id ${{each.value}}",
        f"{dg}{{VOLUME_GROUP_INSPECT, VOLUME_GROUP_CREATE}} in compartment id ${{each.value}}",
    ]
    (lifecycle,) = policy["lifecycle"]
    conditions = [p["condition"] for p in lifecycle["precondition"]]
    assert "${length(var.recovery_compartment_ids) > 0}" in conditions
