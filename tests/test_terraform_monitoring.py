"""terraform/monitoring.tf on the parsed HCL: the metrics grant is namespace-scoped, the three alarms go
to the report topic and each has its switch, and the posture keys reach the functions' config."""

from __future__ import annotations

import re

import pytest

from tests.test_terraform import Config, _load  # skips this module too when python-hcl2 is missing


@pytest.fixture(scope="module")
def tf() -> Config:
    return _load()


def test_metrics_grant_is_limited_to_the_namespace(tf: Config) -> None:
    policy = tf.resource("oci_identity_policy", "functions_metrics")
    assert policy["provider"] == "${oci.home}"
    assert policy["for_each"] == "${local.metrics_enabled ? toset([local.metrics_compartment_id]) : toset([])}"
    (statement,) = policy["statements"]
    assert statement == (
        "Allow dynamic-group ${local.dynamic_group} to use metrics in compartment id "
        "${each.value} where target.metrics.namespace = '${var.metrics_namespace}'"
    )


def test_three_alarms_to_the_report_topic_each_switchable(tf: Config) -> None:
    alarm = tf.resource("oci_monitoring_alarm", "posture")
    assert alarm["for_each"] == (
        "${{for name, alarm in local.alarms : name => alarm if alarm.enabled && local.metrics_enabled}}"
    )
    assert alarm["destinations"] == ["${oci_ons_notification_topic.this.id}"]
    assert alarm["namespace"] == "${var.metrics_namespace}"
    assert alarm["metric_compartment_id"] == "${local.metrics_compartment_id}"
    assert alarm["is_enabled"] is True and alarm["query"] == "${each.value.query}"
    alarms = tf.locals["alarms"]
    assert set(alarms) == {"unprotected", "dr_unprotected", "failed_items"}
    switches = {name: entry["enabled"] for name, entry in alarms.items()}
    assert switches == {
        "unprotected": "${var.alarm_unprotected_enabled}",
        "dr_unprotected": "${var.alarm_dr_unprotected_enabled}",
        "failed_items": "${var.alarm_failed_items_enabled}",
    }
    queries = {name: entry["query"] for name, entry in alarms.items()}
    assert re.fullmatch(
        r"resources_unprotected\[\$\{var\.alarm_unprotected_interval\}\].*\.max\(\) > 0", queries["unprotected"]
    )
    assert queries["dr_unprotected"].startswith("dr_sources_unprotected[${var.alarm_dr_unprotected_interval}]")
    assert queries["dr_unprotected"].endswith(".groupBy(destination).max() > 0")
    assert re.fullmatch(
        r'run_items\[1h\]\{status = \\?"failed\\?"\}\.groupBy\(function\)\.sum\(\) > 0', queries["failed_items"]
    )
    assert tf.variables["alarm_unprotected_interval"]["default"] == "24h"  # the nightly create-backup schedule
    assert tf.variables["alarm_dr_unprotected_interval"]["default"] == "1h"  # the hourly reconcile


def test_posture_keys_reach_the_functions(tf: Config) -> None:
    common = tf.locals["common_config_known"]
    assert common["METRICS_NAMESPACE"] == "${var.metrics_namespace}"
    assert common["METRICS_COMPARTMENT_ID"] == "${local.metrics_compartment_id}"
    assert tf.locals["handler_config"]["create_backup"]["RPO_HOURS"] == "${tostring(var.rpo_hours)}"
    assert tf.locals["handler_config"]["copy_backup"]["DR_RPO_HOURS"] == "${tostring(var.dr_rpo_hours)}"
    assert tf.variables["metrics_namespace"]["default"] == "block_backup"
    assert tf.variables["rpo_hours"]["default"] == 24 and tf.variables["dr_rpo_hours"]["default"] == 24
