"""A description of the machine the figures were taken on."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.procs import PRODUCT, SDK


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def _version(python: Path, distribution: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "not installed"


def _python_version(python: Path) -> str:
    code = "import platform; print(platform.python_version())"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False).stdout.strip()


def describe() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": _cpu_model(),
        "cpus": len(os.sched_getaffinity(0)),
        "memory_gb": _memory_gb(),
        "kernel": platform.release(),
        "os": platform.platform(terse=True),
        "python": _python_version(PRODUCT.python),
        "python_sdk": _python_version(SDK.python),
        "fdk": _version(PRODUCT.python, "fdk"),
        "oci": _version(SDK.python, "oci"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


IMAGE_PYTHON = "3.12"  # the function image's runtime (func.yaml, Dockerfile)
BUSY_LOAD_PER_CPU = 0.25  # 1-minute load average per CPU before the run above which the host counts as busy
BUSY_OTHERS_SHARE = 0.10  # share of the machine's CPU that other processes may take during the run
PROBE_DRIFT = 0.10  # the CPU probe at the end may differ from the one at the start by this share


def hygiene(
    described: dict[str, Any], probe_start_us: float, probe_end_us: float, others_share: float, waves: list[Any]
) -> dict[str, Any]:
    """Was the host quiet and steady enough for the figures to mean what they say? Warnings if not."""
    warnings: list[str] = []
    load, cpus = described["load_average_at_start"][0], described["cpus"]
    if load > BUSY_LOAD_PER_CPU * cpus:
        warnings.append(
            f"load average {load} before the run on {cpus} CPUs (quiet: up to {BUSY_LOAD_PER_CPU * cpus:g}): "
            "other work was running when the benchmark started"
        )
    if others_share > BUSY_OTHERS_SHARE:
        warnings.append(
            f"other processes took {others_share:.0%} of the machine's CPU during the run "
            f"(quiet: up to {BUSY_OTHERS_SHARE:.0%}): wall times carry that noise"
        )
    drift = probe_end_us / probe_start_us - 1
    if abs(drift) > PROBE_DRIFT:
        warnings.append(
            f"the CPU probe moved by {drift:+.0%} between the start ({probe_start_us:.0f} µs) and the end "
            f"({probe_end_us:.0f} µs) of the run: the machine's speed changed under the benchmark"
        )
    seen: set[str] = set()
    for cell in waves:
        share = cell.others_cpu_share
        if share is not None and share > BUSY_OTHERS_SHARE and cell.mode + str(share) not in seen:
            seen.add(cell.mode + str(share))
            warnings.append(f"other processes took {share:.0%} of the CPU during a {cell.mode} ({cell.cell.label})")
    if not described["python"].startswith(IMAGE_PYTHON + "."):
        warnings.append(f"run on CPython {described['python']}, not {IMAGE_PYTHON} as the image: no 3.12 was found")
    return {
        "load_average_at_start": described["load_average_at_start"],
        "load_average_at_end": described.get("load_average_at_end"),
        "cpu_probe_us_start": probe_start_us,
        "cpu_probe_us_end": probe_end_us,
        "others_cpu_share": others_share,
        "busy": bool(warnings),
        "warnings": warnings,
    }


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the work tree differed from it (then the figures are of that tree)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=PRODUCT.python_path, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    status = git("status", "--porcelain", "--", "shared", "functions", "func.py", "requirements.txt")
    return {"commit": git("rev-parse", "--short=12", "HEAD") or "unknown", "dirty": bool(status)}
