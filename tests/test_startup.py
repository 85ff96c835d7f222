"""The event path imports only what it uses.

A ``createvolume.end`` event is handled in a fresh interpreter as the fdk handles the first call
(``func.py``, then ``shared.runtime.process``) against the emulator. What other triggers, other
kinds of resource or switched-off features need must not be imported, and no module on the path may
define a dataclass (each costs about 0.4 ms to define on the benchmark machine: value objects are
``NamedTuple``s). The cold start itself is measured by ``make bench``, never here.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from emulator import EmulatorControl
from emulator.events import make_event
from tests.conftest import HOME_REGION, resource_principal_env
from tests.fdk_harness import ROOT

NOT_ON_THE_EVENT_PATH = (
    "shared.posture",  # schedule sweeps and posture requests
    "shared.metrics",  # only with METRICS_NAMESPACE set
    "shared.oci.monitoring",
    "shared.gateway",  # HTTP requests
    "shared.oci.functions",  # hand-overs
    "shared.oci.compute",  # launch events
    "shared.oci.identity",  # sweeps of compartment trees
    "shared.oci.config_file",  # API-key credentials
    "shared.oci.boot_group_models",  # other kinds
    "shared.rules.retention",  # pruning
    "shared.pruning",
    "functions.create_backup.sweep",
    "functions.copy_backup",  # other handlers
    "functions.retag_group_backup",
)

HANDLE_ONE_EVENT = """
import json, os, sys
import func  # as the fdk loads it on the first call
from shared import runtime
answer = runtime.process(os.environ, {"fn-call-id": "startup-test"}, sys.stdin.buffer.read())
ours = sorted(name for name in sys.modules if name.split(".")[0] in ("func", "shared", "functions"))
print(json.dumps({"status": answer.status, "result": json.loads(answer.body), "modules": ours}))
"""


def handle_in_fresh_interpreter(emu: EmulatorControl, event: dict[str, Any], config: dict[str, str]) -> dict[str, Any]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "HANDLER": "create_backup",
        "OCI_ENDPOINT_TEMPLATE": emu.endpoint_template,
        **resource_principal_env(emu),
        **config,
    }
    done = subprocess.run(
        [sys.executable, "-c", HANDLE_ONE_EVENT],
        input=json.dumps(event).encode(),
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    answer: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return answer


def defines_a_dataclass(module: str) -> bool:
    parts = module.split(".")
    path = ROOT.joinpath(*parts).with_suffix(".py")
    if not path.exists():
        path = ROOT.joinpath(*parts, "__init__.py")
    tree = ast.parse(Path(path).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                if name == "dataclass":
                    return True
    return False


def volume_event(emu: EmulatorControl, compartment: str) -> dict[str, Any]:
    volume = emu.create_volume(HOME_REGION, compartment, "startup-db")
    return make_event("createvolume.end", volume["id"], "startup-db", compartment)


def test_a_volume_event_imports_only_what_it_uses(emu: EmulatorControl, compartment: str, topic: str) -> None:
    config = {"COMPARTMENT_IDS": compartment, "NOTIFICATION_TOPIC_ID": topic, "METRICS_NAMESPACE": ""}
    answer = handle_in_fresh_interpreter(emu, volume_event(emu, compartment), config)
    assert answer["status"] == 200 and answer["result"]["counts"] == {"created": 1}, answer["result"]
    loaded = set(answer["modules"])
    assert {"func", "shared.runtime", "functions.create_backup", "shared.oci.models"} <= loaded
    assert sorted(loaded & set(NOT_ON_THE_EVENT_PATH)) == []
    assert [module for module in sorted(loaded) if defines_a_dataclass(module)] == []


def test_the_check_sees_what_a_run_imports_on_first_use(emu: EmulatorControl, compartment: str, topic: str) -> None:
    """With metrics on (the default), the same event imports the metrics modules when it posts them."""
    config = {"COMPARTMENT_IDS": compartment, "NOTIFICATION_TOPIC_ID": topic}
    answer = handle_in_fresh_interpreter(emu, volume_event(emu, compartment), config)
    assert answer["status"] == 200 and answer["result"]["counts"] == {"created": 1}, answer["result"]
    assert {"shared.metrics", "shared.oci.monitoring"} <= set(answer["modules"])


def test_the_dataclass_check_finds_one() -> None:
    assert defines_a_dataclass("shared.posture")  # Coverage: imported by sweeps only
    assert not defines_a_dataclass("shared.oci.ocid")
