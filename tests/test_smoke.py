"""``make smoke`` (``demo/smoke.py``) against the emulator: the three functions run as fdk processes bound to
function OCIDs there, the smoke signs InvokeFunction with an API key registered there, from a config file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from demo.smoke import UsageError, read_stack
from emulator import EmulatorControl
from tests.conftest import DR_REGION, HOME_REGION, resource_principal_env
from tests.emulator_fixtures import ApiKey
from tests.fdk_harness import ROOT, FdkProcess

HANDLERS = ("create_backup", "copy_backup", "retag_group_backup")
CONFIG = {"copy_backup": {"COPY_DESTINATION_REGIONS": DR_REGION}}


@pytest.fixture
def deploy_stack(emu: EmulatorControl, compartment: str, topic: str, tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Start the three functions as fdk processes, create them in the emulator bound to those processes,
    and write `terraform output -json` as apply would."""
    processes: list[FdkProcess] = []

    def deploy(**extra: str) -> Path:
        ids, endpoints = {}, {}
        for handler in HANDLERS:
            config = {
                "HANDLER": handler,
                "OCI_ENDPOINT_TEMPLATE": emu.endpoint_template,
                "NOTIFICATION_TOPIC_ID": topic,
                "COMPARTMENT_IDS": compartment,
                **resource_principal_env(emu),
                **CONFIG.get(handler, {}),
                **extra,
            }
            process = FdkProcess(config)
            function = emu.create_function(HOME_REGION, compartment, handler, socket_path=process.socket_path)
            process.config["FN_FN_ID"] = function["id"]
            processes.append(process.start())
            ids[handler], endpoints[handler] = function["id"], function["invokeEndpoint"]
        outputs = {
            "function_ids": {"sensitive": False, "type": ["map", "string"], "value": ids},
            "function_invoke_endpoints": {"sensitive": False, "value": endpoints},
            "notification_topic_id": {"sensitive": False, "value": topic},
        }
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(outputs))
        return path

    yield deploy
    for process in processes:
        process.stop()


def oci_config(api_key: ApiKey, tmp_path: Path) -> Path:
    """An ~/.oci/config profile for the emulator's registered key, as `oci setup config` writes one."""
    tenancy, user, fingerprint = api_key.key_id.split("/")
    key_file = tmp_path / "oci_api_key.pem"
    key_file.write_bytes(api_key.private_key_pem)
    key_file.chmod(0o600)
    config = tmp_path / "config"
    config.write_text(
        f"[DEFAULT]\nuser={user}\nfingerprint={fingerprint}\ntenancy={tenancy}\nregion={HOME_REGION}\nkey_file={key_file}\n"
    )
    return config


def run_smoke(config: Path, outputs: Path, home: Path) -> tuple[int, str]:
    env: Mapping[str, str] = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OCI_")},
        "OCI_CONFIG_FILE": str(config),
        "HOME": str(home),
    }
    done = subprocess.run(
        [sys.executable, "-m", "demo.smoke", "--outputs", str(outputs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def test_smoke_invokes_each_function_once_as_a_dry_run_and_reads_its_digest(
    emu: EmulatorControl,
    deploy_stack: Callable[..., Path],
    api_key: ApiKey,
    compartment: str,
    topic: str,
    tmp_path: Path,
) -> None:
    volume = emu.create_volume(HOME_REGION, compartment, "web-01")
    outputs = deploy_stack()
    code, output = run_smoke(oci_config(api_key, tmp_path), outputs, tmp_path)
    assert code == 0, output
    assert "Smoke test passed." in output
    for handler in HANDLERS:
        assert f"[ok] {handler}: dry run" in output, output
    assert "[ok] create_backup: dry run: 1 planned" in output

    invocations = emu.invocations()
    stack = json.loads(outputs.read_text())
    assert sorted(i["functionId"] for i in invocations) == sorted(stack["function_ids"]["value"].values())
    assert {i["invokeType"] for i in invocations} == {"sync"}
    assert all(json.loads(i["body"])["dryRun"] is True for i in invocations)
    # the digests reached the topic, with the subjects the smoke printed
    subjects = [m["title"] for m in emu.messages(HOME_REGION, topic)]
    assert len(subjects) == 3 and all(f"digest subject: {s}" in output for s in subjects), output
    assert "[ok] create-backup (schedule, us-ashburn-1) [dry-run]: 1 planned" in subjects
    # a dry run: nothing was written
    calls = emu.calls()
    assert not [c for c in calls if c.split()[1].startswith(("Create", "Copy", "Update", "Delete"))], calls
    assert not emu.event_envelopes("createvolumebackup.end") and volume["id"]


def test_smoke_fails_and_says_why_when_no_digest_arrives(
    emu: EmulatorControl, deploy_stack: Callable[..., Path], api_key: ApiKey, tmp_path: Path
) -> None:
    outputs = deploy_stack()
    emu.faults([{"operation": "PublishMessage", "errorRate": 1.0, "status": 500}])
    code, output = run_smoke(oci_config(api_key, tmp_path), outputs, tmp_path)
    assert code == 1, output
    assert "SMOKE TEST FAILED." in output
    assert "[FAIL] copy_backup: digest not published: PublishMessage failed: 500" in output


def test_smoke_says_when_the_notify_on_setting_publishes_nothing(
    deploy_stack: Callable[..., Path], api_key: ApiKey, tmp_path: Path
) -> None:
    outputs = deploy_stack(NOTIFY_ON="failures")
    code, output = run_smoke(oci_config(api_key, tmp_path), outputs, tmp_path)
    assert code == 1 and "no digest published (NOTIFY_ON is failures or never" in output, output


def test_smoke_refuses_without_credentials_or_stack(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    ids = {h: f"ocid1.fnfunc.oc1.iad.aaaa{n}" for n, h in enumerate(HANDLERS)}
    outputs.write_text(json.dumps({"function_ids": {"value": ids}}))
    code, output = run_smoke(tmp_path / "no-such-config", outputs, tmp_path)
    assert code == 2 and "function_invoke_endpoints" in output, output
    with pytest.raises(UsageError, match="same functions"):
        read_stack({"function_ids": {"value": ids}, "function_invoke_endpoints": {"value": {"x": "y"}}})
