"""What an audit of terraform/ against the provider and OCI's limits found, each refused or fixed, checked by
the real `terraform console` (offline, against the provider's schemas) or on the parsed HCL."""

from __future__ import annotations

import pytest

from tests.test_terraform import Config, Console, _load, one, open_console  # skips when python-hcl2 is missing


@pytest.fixture(scope="module")
def tf() -> Config:
    return _load()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Console:
    return open_console(tmp_path_factory)


def test_provisioned_concurrency_going_to_zero_sends_none(console: Console, tf: Config) -> None:
    """The block is Optional+Computed: left out, the provider keeps the old units (and their bill). Every
    function sends it, NONE when its count is 0 or absent."""
    sent = console.value(
        "local.provisioned_concurrency", provisioned_concurrency={"create_backup": 40, "copy_backup": 0}
    )
    assert sent == {
        "create_backup": {"strategy": "CONSTANT", "count": 40},
        "copy_backup": {"strategy": "NONE", "count": None},
        "retag_group_backup": {"strategy": "NONE", "count": None},
        "restore_backup": {"strategy": "NONE", "count": None},
    }
    block = one(tf.resource("oci_functions_function", "this")["provisioned_concurrency_config"])
    assert block["strategy"] == "${local.provisioned_concurrency[each.key].strategy}"
    assert block["count"] == "${local.provisioned_concurrency[each.key].count}"
    assert "dynamic" not in tf.resource("oci_functions_function", "this")


def test_extra_config_names_functions_and_keys_oci_accepts(console: Console) -> None:
    """One map keyed by function; keys follow OCI's config key pattern (letters, digits, _, no leading digit)."""
    assert "must name functions of this module" in console.refused("extra_config", extra_config={"nightly": {"A": "1"}})
    for bad in ("1ST_KEY", "DRY-RUN", "DRY RUN", "clé", ""):
        message = console.refused("extra_config", extra_config={"create_backup": {bad: "x"}})
        assert "letters, digits and underscores, not starting with a digit" in message, bad
    assert console.value("var.extra_config", extra_config={"create_backup": {"_x9": "1", "Backup_Kinds2": "v"}})


def test_function_memory_is_one_of_the_sizes_oci_offers(console: Console) -> None:
    for size in (128, 256, 512, 1024, 2048, 3072):
        assert console.value("var.function_memory_mb", function_memory_mb=size) == size
    for size in (129, 300, 768, 1536, 2560, 64, 4096):
        message = console.refused("function_memory_mb", function_memory_mb=size)
        assert "128, 256, 512, 1024, 2048 or 3072" in message, size


def test_schedules_are_checked_against_the_recurrence_type(console: Console) -> None:
    cron, ical = "0 3 * * *", "FREQ=DAILY;BYHOUR=3;BYMINUTE=0"
    assert console.value("var.create_backup_schedule", create_backup_schedule=cron) == cron
    assert "must match schedule_recurrence_type" in console.refused(
        "create_backup_schedule", create_backup_schedule=ical
    )
    icals = {"schedule_recurrence_type": "ICAL", "copy_backup_schedule": "FREQ=HOURLY;BYMINUTE=15"}
    icals |= {
        "retag_group_backup_schedule": "FREQ=HOURLY;BYMINUTE=45",
        "restore_backup_schedule": "FREQ=DAILY;BYHOUR=4",
    }
    assert console.value("var.create_backup_schedule", create_backup_schedule=ical, **icals) == ical
    console.refused("create_backup_schedule", create_backup_schedule=cron, **icals)
    console.refused(
        "copy_backup_schedule", **{**icals, "create_backup_schedule": ical, "copy_backup_schedule": "15 * * * *"}
    )


def test_vcn_cidr_from_16_to_28(console: Console) -> None:
    for good in ("10.0.0.0/16", "10.42.0.0/24", "192.168.10.0/28"):
        assert console.value("var.vcn_cidr", vcn_cidr=good) == good
    for bad in ("10.0.0.0/8", "10.0.0.0/15", "10.42.0.0/29", "10.42.0.0/30", "10.42.0.0", "fd00::/48"):
        assert "from /16 to /28" in console.refused("vcn_cidr", vcn_cidr=bad), bad


def test_a_gateway_token_with_an_expression_is_refused(console: Console) -> None:
    message = console.refused("gateway_token", gateway_token="Zq8Lm3Np7Rt2${request.auth[sub]}Vx6Bd9Fh")
    assert "dollar sign followed by an opening brace" in message
    assert console.value("nonsensitive(var.gateway_token)", gateway_token="Zq8Lm3Np7$Rt2{Vx6Bd9Fh4Jk1Ws5Yc0Ge")


def test_alarms_are_formatted_for_email(tf: Config) -> None:
    for name, alarm in tf.resources["oci_monitoring_alarm"].items():
        assert alarm["message_format"] == "ONS_OPTIMIZED", name
