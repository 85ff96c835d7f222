"""terraform/monitoring.tf on the parsed HCL and through `terraform console`: the metrics grant is
namespace-scoped, the alarms go to the report topic and each has its switch, the posture alarms judge the
newest run (as the demo's check models them), an absence alarm per schedule, the RPO defaults derive from
the schedule, and the posture keys reach the functions' config."""

from __future__ import annotations

import re

import pytest

from tests.test_terraform import (
    Config,
    Console,
    _load,
    open_console,
)  # skips this module too when python-hcl2 is missing


@pytest.fixture(scope="module")
def tf() -> Config:
    return _load()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Console:
    return open_console(tmp_path_factory)


def test_metrics_grant_is_limited_to_the_namespace(tf: Config) -> None:
    policy = tf.resource("oci_identity_policy", "functions_metrics")
    assert policy["provider"] == "${oci.home}"
    assert policy["for_each"] == "${local.metrics_enabled ? toset([local.metrics_compartment_id]) : toset([])}"
    (statement,) = policy["statements"]
    assert statement == (
        "Allow dynamic-group ${local.dynamic_group} to use metrics in compartment id "
        "${each.value} where target.metrics.namespace = '${var.metrics_namespace}'"
    )


def test_alarms_to_the_report_topic_each_switchable(tf: Config) -> None:
    alarm = tf.resource("oci_monitoring_alarm", "posture")
    assert alarm["for_each"] == (
        "${{for name, alarm in merge(local.alarms, local.runs_stopped_alarms) : "
        "name => alarm if alarm.enabled && local.metrics_enabled}}"
    )
    assert alarm["destinations"] == ["${oci_ons_notification_topic.this.id}"]
    assert alarm["namespace"] == "${var.metrics_namespace}"
    assert alarm["metric_compartment_id"] == "${local.metrics_compartment_id}"
    assert alarm["is_enabled"] is True and alarm["query"] == "${each.value.query}"
    assert alarm["pending_duration"] == "${each.value.pending}"
    alarms = tf.locals["alarms"]
    restore = {"restore_failed", "restore_leftovers", "restore_unverified"}  # test_terraform_restore.py
    assert set(alarms) == {"unprotected", "dr_unprotected", "backup_headroom", "failed_items"} | restore
    switches = {name: entry["enabled"] for name, entry in alarms.items() if name not in restore}
    assert switches == {
        "unprotected": "${var.alarm_unprotected_enabled}",
        "dr_unprotected": "${var.alarm_dr_unprotected_enabled}",
        "backup_headroom": "${var.alarm_backup_headroom_enabled}",
        "failed_items": "${var.alarm_failed_items_enabled}",
    }
    assert re.fullmatch(
        r'run_items\[1h\]\{status = \\?"failed\\?"\}\.groupBy\(function\)\.sum\(\) > 0', alarms["failed_items"]["query"]
    )


ALARM_QUERY = re.compile(
    r"(?P<metric>\w+)\[(?P<hours>\d+)h\]\{(?P<dims>[^}]*)\}(?P<grouping>\.groupBy\(\w+\))?\.(?P<stat>\w+)\((?P<arg>[^)]*)\)(?P<rule>.*)"
)


def test_posture_alarms_judge_the_newest_run_and_a_fixed_fleet_clears_them(console: Console) -> None:
    """The deployed queries (defaults: a nightly create-backup, an hourly reconcile) and the demo's model of them."""
    from demo.scenario import UNPROTECTED_ALARM

    alarms = console.value("local.alarms")
    unprotected = ALARM_QUERY.fullmatch(alarms["unprotected"]["query"])
    assert unprotected is not None, alarms["unprotected"]["query"]
    # one schedule period: the newest nightly sweep's value, and the runs since; the least of them
    assert (unprotected["metric"], unprotected["hours"], unprotected["stat"], unprotected["rule"]) == (
        "resources_unprotected",
        "24",
        "min",
        " > 0",
    )
    assert unprotected["dims"] == 'function = "create-backup"'
    # the demo's check models exactly this query
    assert (UNPROTECTED_ALARM.metric, UNPROTECTED_ALARM.window_hours, UNPROTECTED_ALARM.statistic.__name__) == (
        "resources_unprotected",
        24,
        "min",
    )
    dr = ALARM_QUERY.fullmatch(alarms["dr_unprotected"]["query"])
    assert dr is not None and (dr["hours"], dr["grouping"], dr["stat"]) == ("1", ".groupBy(destination)", "min")
    hourly = console.value(
        "local.alarms", schedule_period_hours={"create_backup": 12, "copy_backup": 2, "retag_group_backup": 1}
    )
    assert hourly["unprotected"]["query"].startswith("resources_unprotected[12h]")
    assert hourly["dr_unprotected"]["query"].startswith("dr_sources_unprotected[2h]")


def test_an_absence_alarm_per_scheduled_function(console: Console) -> None:
    stopped = console.value("local.runs_stopped_alarms")
    assert set(stopped) == {
        "runs_stopped_create_backup",
        "runs_stopped_copy_backup",
        "runs_stopped_retag_group_backup",
        "runs_stopped_restore_backup",
    }
    assert stopped["runs_stopped_restore_backup"]["enabled"] is False  # no sandbox: its schedule is INACTIVE
    for name, hours in (("create-backup", "24"), ("copy-backup", "1"), ("retag-group-backup", "1")):
        alarm = stopped[f"runs_stopped_{name.replace('-', '_')}"]
        query = ALARM_QUERY.fullmatch(alarm["query"])
        assert query is not None, alarm["query"]
        assert (query["metric"], query["hours"], query["stat"], query["arg"], query["rule"]) == (
            "run_items",
            hours,
            "absent",
            "72h",
            "",
        )
        assert (
            query["dims"] == f'function = "{name}", trigger = "schedule"' and query["grouping"] == ".groupBy(function)"
        )
        assert alarm["pending"] == "PT1H" and alarm["enabled"] is True and alarm["severity"] == "CRITICAL"
    off = console.value("local.runs_stopped_alarms", schedules_enabled=False)
    assert not any(alarm["enabled"] for alarm in off.values())  # disabled schedules post nothing, by design


def test_rpo_defaults_to_the_schedule_period_plus_slack_and_is_never_shorter(console: Console) -> None:
    assert console.value("[local.rpo_hours, local.dr_rpo_hours]") == [26, 27]
    config = console.value("local.handler_config")
    assert config["create_backup"]["RPO_HOURS"] == "26" and config["copy_backup"]["DR_RPO_HOURS"] == "27"
    twelve = {"create_backup": 12, "copy_backup": 1, "retag_group_backup": 1}
    assert console.value("local.rpo_hours", schedule_period_hours=twelve) == 13
    assert console.value("[local.rpo_hours, local.dr_rpo_hours]", rpo_hours=48, dr_rpo_hours=30) == [48, 30]
    assert "shorter than the create-backup schedule period" in console.refused("rpo_hours", rpo_hours=23)
    assert "shorter than the create-backup schedule period" in console.refused("dr_rpo_hours", dr_rpo_hours=12)
    assert "between 1 and 24" in console.refused(
        "schedule_period_hours", schedule_period_hours={"create_backup": 168, "copy_backup": 1, "retag_group_backup": 1}
    )


def test_copy_destinations_never_the_own_region_nor_twice(console: Console) -> None:
    region = console.value("var.region")
    own = console.refused("copy_destination_regions", copy_destination_regions=[region])
    assert "own region" in own
    twice = console.refused("copy_destination_regions", copy_destination_regions=["us-phoenix-1", "us-phoenix-1"])
    assert "twice" in twice


def test_posture_keys_reach_the_functions(tf: Config) -> None:
    common = tf.locals["common_config_known"]
    assert common["METRICS_NAMESPACE"] == "${var.metrics_namespace}"
    assert common["METRICS_COMPARTMENT_ID"] == "${local.metrics_compartment_id}"
    assert tf.locals["handler_config"]["create_backup"]["RPO_HOURS"] == "${tostring(local.rpo_hours)}"
    assert tf.locals["handler_config"]["copy_backup"]["DR_RPO_HOURS"] == "${tostring(local.dr_rpo_hours)}"
    assert tf.variables["metrics_namespace"]["default"] == "block_backup"
    assert tf.variables["rpo_hours"]["default"] is None and tf.variables["dr_rpo_hours"]["default"] is None


def test_backup_headroom_alarm_under_a_week_of_the_newest_sweep(console: Console) -> None:
    """backup_headroom_days of the newest nightly sweep (the least in one period) under the threshold."""
    alarm = console.value("local.alarms")["backup_headroom"]
    query = ALARM_QUERY.fullmatch(alarm["query"])
    assert query is not None, alarm["query"]
    assert (query["metric"], query["hours"], query["stat"], query["rule"]) == (
        "backup_headroom_days",
        "24",
        "min",
        " < 7",
    )
    assert query["dims"] == 'function = "create-backup"' and alarm["severity"] == "WARNING"
    assert "backup limit" in alarm["body"]
    assert console.value("local.alarms", alarm_backup_headroom_days=14)["backup_headroom"]["query"].endswith(" < 14")
    assert "between 1 and 3650" in console.refused("alarm_backup_headroom_days", alarm_backup_headroom_days=0)


def test_backup_headroom_keys_reach_create_backup(console: Console) -> None:
    config = console.value("local.handler_config")["create_backup"]
    assert (config["SCHEDULE_PERIOD_HOURS"], config["BACKUP_LIMIT"]) == ("24", "100000")
    twelve = {"create_backup": 12, "copy_backup": 1, "retag_group_backup": 1}
    changed = console.value("local.handler_config", schedule_period_hours=twelve, backup_limit=250000)["create_backup"]
    assert (changed["SCHEDULE_PERIOD_HOURS"], changed["BACKUP_LIMIT"]) == ("12", "250000")
    assert "between 1 and 100000000" in console.refused("backup_limit", backup_limit=0)


def test_the_limits_grant_is_one_read_only_statement_on_the_tenancy(tf: Config) -> None:
    policy = tf.resource("oci_identity_policy", "functions_limits")
    assert policy["for_each"] == "${var.read_backup_limit ? toset([var.tenancy_ocid]) : toset([])}"
    assert policy["compartment_id"] == "${each.value}" and policy["provider"] == "${oci.home}"
    assert policy["statements"] == [
        "Allow dynamic-group ${local.dynamic_group} to read resource-availability in tenancy"
    ]
    assert tf.variables["read_backup_limit"]["default"] is True
