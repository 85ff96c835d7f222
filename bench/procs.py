"""The two sides as real fdk processes: ours (``.venv``) and the SDK-based handler (``bench/.venv-sdk``).

``BenchFunction`` is the tests' ``FdkProcess`` started with a given ``fdk`` console script, so each
side runs under its own virtualenv; before stopping it reads the process's peak RSS (``VmHWM``) and
CPU time (which, unlike wall time, hardly moves when other work shares the machine).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.fdk_harness import ROOT, FdkProcess

BENCH = ROOT / "bench"
# Our side runs in the virtualenv that runs the benchmark (`make bench`: bench/.venv-product, CPython 3.12)
PRODUCT_VENV = Path(sys.prefix)
SDK_VENV = BENCH / ".venv-sdk"


@dataclass(frozen=True)
class Side:
    """One side of the comparison: which fdk runs which ``func.py`` with which extra config."""

    name: str
    venv: Path
    python_path: Path
    config: Mapping[str, str]

    @property
    def fdk(self) -> Path:
        return self.venv / "bin" / "fdk"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


# Monitoring metrics off (METRICS_NAMESPACE empty): the SDK side posts none, both sides make the same calls
PRODUCT = Side("product", PRODUCT_VENV, ROOT, {"HANDLER": "create_backup", "METRICS_NAMESPACE": ""})
SDK = Side("oci-sdk", SDK_VENV, BENCH / "sdk_handler", {})
FLOOR = Side("fdk-floor", PRODUCT_VENV, BENCH / "floor_handler", {})  # answers at once: the fdk's own cost
# the fdk + requests + pydantic + cryptography, key loaded, nothing of ours: the least this stack costs
STACK_FLOOR = Side("stack-floor", PRODUCT_VENV, BENCH / "stack_floor_handler", {})
# the stack floor plus the four API calls of the event path, signed and validated with minimal models
WORK_FLOOR = Side("work-floor", PRODUCT_VENV, BENCH / "work_floor_handler", {})


class BenchFunction(FdkProcess):
    """``FdkProcess`` with the side's own fdk executable (the harness uses the running interpreter's)."""

    def __init__(self, side: Side, config: Mapping[str, str]) -> None:
        super().__init__({**side.config, **config}, python_path=side.python_path)
        self.side = side

    def start(self, timeout: float = 30.0) -> BenchFunction:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self._dir,
            "FN_FORMAT": "http-stream",
            "FN_LISTENER": f"unix:{self.socket_path}",
            "FN_APP_ID": "ocid1.fnapp.oc1.iad.benchapp",
            "FN_FN_ID": f"ocid1.fnfunc.oc1.iad.bench{self.side.name.replace('-', '')}",
            "FN_MEMORY": "256",
            "FN_TYPE": "sync",
            "PYTHONPATH": str(self.python_path),
            **self.config,
        }
        started = time.monotonic()
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(self.side.fdk), str(self.python_path / "func.py"), "handler"],
            env=env,
            stdout=self._stderr,
            stderr=self._stderr,
            cwd=self.python_path,
        )
        while not os.path.exists(self.socket_path):
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.side.name}: fdk exited early ({self.process.returncode}): {self.logs()}")
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{self.side.name}: fdk socket did not appear")
            time.sleep(0.002)
        self.ready_seconds = time.monotonic() - started
        return self

    def cpu_seconds(self) -> float:
        """CPU time of the fdk process so far (user + system, all threads)."""
        assert self.process is not None
        return process_cpu_seconds(self.process.pid)

    def minor_faults(self) -> int:
        """Minor page faults of the fdk process so far (``minflt`` in ``/proc/<pid>/stat``): memory it mapped
        and touched. A jump here without more work is allocator churn (``func.py`` tells of one)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[7])

    def peak_rss_mb(self) -> float:
        """``VmHWM`` of the fdk process (the peak resident set so far), in MiB."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc/<pid>/status")


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process: the larger of the exact sum over its live threads
    (``task/*/schedstat``, ns) and ``utime + stime`` from ``stat`` (ticks, but counting ended threads too).
    """
    live = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            live += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue  # a thread that just ended
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return max(live / 1e9, ticks / os.sysconf("SC_CLK_TCK"))


def cpu_count() -> int:
    return len(os.sched_getaffinity(0))


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot, all CPUs (``/proc/stat``: all but idle, iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def self_cpu_seconds() -> float:
    """CPU seconds of this process (all threads)."""
    times = os.times()
    return times.user + times.system


def tree_cpu_seconds() -> float:
    """CPU seconds of this process and of every child it has waited for (and theirs)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system
