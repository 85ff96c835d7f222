"""Cold start and peak RSS: spawn the function, answer one ``createvolume.end`` event, stop.

Timed from just before ``Popen`` to the answer of the first event, which includes the fdk's start,
the lazy import of the handler, loading the resource-principal key, GetVolume, ListVolumeBackups,
CreateVolumeBackup and PublishMessage against the emulator. Peak RSS is the fdk process's
``VmHWM`` right after that answer. "No bytecode" runs point ``PYTHONPYCACHEPREFIX`` at a new empty
directory and set ``PYTHONDONTWRITEBYTECODE=1``: every module (stdlib, dependencies, app) is compiled
from source, as in a container whose image has no ``.pyc`` files and a read-only file system.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from typing import Any

from bench.lab import Lab
from bench.procs import FLOOR, PRODUCT, SDK, STACK_FLOOR, WORK_FLOOR, BenchFunction, Side
from bench.stats import Samples, alternating, median


def created(side: Side, answer: dict[str, Any]) -> bool:
    """Did the function report one backup created (and, for the SDK side, a published digest)?"""
    if side is PRODUCT:
        return answer.get("counts") == {"created": 1} and not answer.get("notes")
    if side in (SDK, WORK_FLOOR):
        return answer.get("status") == "created" and bool(answer.get("messageId"))
    return answer.get("status") == "ok"


def one_cold_start(lab: Lab, side: Side, samples: Samples, label: str, *, bytecode: bool, n: int) -> None:
    config = lab.function_config()
    cache_dir = None
    if not bytecode:
        cache_dir = tempfile.TemporaryDirectory(prefix="pyc", dir="/tmp")
        config.update(PYTHONPYCACHEPREFIX=cache_dir.name, PYTHONDONTWRITEBYTECODE="1")
    event = lab.new_volume_event(f"cold-{side.name}-{label}-{n}")
    function = BenchFunction(side, config)
    try:
        started = time.perf_counter()
        function.start()
        answer = function.call(event, deadline_seconds=120)
        elapsed = time.perf_counter() - started
        rss = function.peak_rss_mb()
        cpu = function.cpu_seconds()
        faults = function.minor_faults()
        body = json.loads(answer.body) if answer.status == 200 else {}
        if answer.status != 200 or not created(side, body):
            samples.fail(f"{side.name} {label}: {answer.status} {answer.body[:300]!r}")
            return
        samples.add(f"{label}:{side.name}", elapsed)
        samples.add(f"{label}:ready:{side.name}", function.ready_seconds or 0.0)
        samples.add(f"{label}:cpu:{side.name}", cpu)
        samples.add(f"{label}:faults:{side.name}", faults)
        if bytecode:
            samples.add(f"rss:{side.name}", rss)
    finally:
        function.stop()
        if cache_dir is not None:
            cache_dir.cleanup()


SIDES = (PRODUCT, SDK, FLOOR, STACK_FLOOR, WORK_FLOOR)


def measure(lab: Lab, runs: int) -> Samples:
    """``runs`` cold starts per side and mode after one warm-up each: both sides and the three floors in every
    round, the order reversed from one round to the next (ABCDE EDCBA), so each ratio compares runs of the same
    rounds."""
    samples = Samples()
    lab.fresh()
    warmup = Samples()
    for side in SIDES:  # writes any missing .pyc, fills the page cache
        one_cold_start(lab, side, warmup, "warmup", bytecode=True, n=0)
    samples.failures += warmup.failures
    samples.problems += warmup.problems
    for bytecode, label in ((True, "cold"), (False, "cold_no_bytecode")):
        for n, side in enumerate(alternating(SIDES, runs)):
            one_cold_start(lab, side, samples, label, bytecode=bytecode, n=n)
    return samples


# What each side imports on its way to the first answer (the fdk's server, then the handler's modules).
IMPORTS = {
    PRODUCT.name: ["fdk.scripts.fdk", "fdk.response", "func", "functions.create_backup"],
    SDK.name: ["fdk.scripts.fdk", "fdk.response", "func", "oci.core", "oci.ons"],
}


def import_profile(side: Side, runs: int) -> dict[str, float]:
    """Median import seconds per top-level package (``python -X importtime``, self times summed)."""
    per_run: list[dict[str, float]] = []
    code = "; ".join(f"import {module}" for module in IMPORTS[side.name])
    for _ in range(runs):
        done = subprocess.run(
            [str(side.python), "-X", "importtime", "-c", code],
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(side.python_path)},
            cwd=side.python_path,
            capture_output=True,
            text=True,
            check=True,
        )
        totals: dict[str, float] = {}
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, _cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
            top = name.split(".")[0]
            totals[top] = totals.get(top, 0.0) + int(self_us) / 1e6
        per_run.append(totals)
    names = {name for totals in per_run for name in totals}
    return {name: median([totals.get(name, 0.0) for totals in per_run]) for name in names}


def startup_breakdown(lab: Lab, runs: int) -> Samples:
    """``bench/startup_probe.py`` ``runs`` times: our imports, first and second invocation, CPU seconds."""
    samples = Samples()
    probe = PRODUCT.python_path / "bench" / "startup_probe.py"
    for n in range(runs):
        env = {
            **lab.function_config(PRODUCT.config),
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(PRODUCT.python_path),
            "HOME": tempfile.gettempdir(),
        }
        events = [lab.new_volume_event(f"probe-{n}-{i}") for i in (1, 2)]
        done = subprocess.run(
            [str(PRODUCT.python), str(probe)],
            input=json.dumps(events),
            env=env,
            cwd=PRODUCT.python_path,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = done.stdout.strip().splitlines()
        result = json.loads(lines[-1]) if done.returncode == 0 and lines else {"ok": False}
        if not result["ok"]:
            samples.fail(f"startup probe: {done.returncode} {done.stderr[-300:]}")
            continue
        for name in ("imports", "first", "second", "pydantic"):
            samples.add(name, result[name])
    return samples
