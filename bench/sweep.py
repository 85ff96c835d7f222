"""The sweep grid: our schedule trigger vs the SDK pool a competent user writes, cell by cell.

A cell is (latency, limit, concurrency): every API answer of the emulator is delayed by
``latency``; ``limit`` (requests per second, or none) is a token bucket on CreateVolumeBackup alone
(OCI limits per operation), holding one second's worth and full at the start, answering 429
beyond it; both sides get ``concurrency`` workers. Each side of a cell runs on ``volumes`` fresh
AVAILABLE volumes in one compartment, in an emulator of its own.

Ours: one schedule invocation (``MAX_CONCURRENCY``, ``BACKUP_KINDS=volume``) of a started fdk
function, timed from the call to the answer: it lists the volumes and the compartment's backups
(its duplicate / in-progress checks), creates one backup per volume, publishes the digest. The SDK
side is ``sdk_handler/sweep.py`` (one listing, a ``ThreadPoolExecutor`` of the same size, the SDK's
default retry strategy), timed inside the script after its imports and signer.

Cells without a limit are CPU-bound on a small machine, so they run alone, one side at a time, the
sides alternating (ABBA); with them runs a third side, the *bare client* (``bench/bare_sweep.py``: the
same creates with nothing but a signature on kept-alive connections), whose time is the floor this host
and the emulator allow any Python client. Each run of ours is also taken apart from its log (every API
call's end and duration): the listing before the first create, the time in calls beyond the latency, the
time a worker spends between calls, the digest and answer after the last create.

Cells under a limit spend their time waiting for the bucket, so they all run at the same time, each
side in its own emulator process (a wave); the CPU other processes took during the wave is recorded
beside it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bench.lab import Lab, lab
from bench.procs import PRODUCT, SDK, BenchFunction, cpu_count, machine_busy_seconds, self_cpu_seconds
from bench.stats import alternating, median
from tests.fdk_harness import ROOT

SIDES = ("product", "sdk")
BARE = "bare"  # the bare client: cells without a limit only
CALL_DEADLINE_SECONDS = 300.0  # func.yaml's timeout, the longest OCI Functions allows
WARM_UP_VOLUME = "ocid1.volume.oc1.iad.benchwarmup"  # a dry run for a volume that does not exist: 404


@dataclass(frozen=True)
class Cell:
    latency: float  # seconds added to every API answer
    limit: float | None  # CreateVolumeBackup requests per second, None: no limit
    concurrency: int

    @property
    def burst(self) -> int:
        return max(1, round(self.limit)) if self.limit else 0

    def floor_seconds(self, volumes: int) -> float:
        """The least any client can take: under a limit, volumes / limit; without one, volumes x latency /
        workers (every create waits one latency, and an infinitely fast client keeps every worker busy)."""
        if self.limit:
            return volumes / self.limit
        return volumes * self.latency / self.concurrency

    @property
    def label(self) -> str:
        limit = f"{self.limit:g}/s" if self.limit else "no limit"
        return f"{self.latency * 1000:.0f} ms, {limit}, {self.concurrency} workers"


def grid(latencies: tuple[float, ...], limits: tuple[float | None, ...], concurrency: tuple[int, ...]) -> list[Cell]:
    return [Cell(latency, limit, c) for latency in latencies for limit in limits for c in concurrency]


@dataclass(frozen=True)
class SideRun:
    """One side's sweep of one cell."""

    side: str
    seconds: float
    created: int
    lost: int  # volumes listed but not backed up
    throttled: int  # answers 429 (CreateVolumeBackup under the limit)
    requests: int  # API requests the emulator authenticated (listings, creates incl. refused, publish)
    cpu_seconds: float  # of the client during the sweep (the function process / the SDK script after its imports)
    emulator_cpu_seconds: float
    process_cpu_seconds: float  # of the client process, all of it (start, imports and warm-up included)
    problem: str = ""
    connections: int = 0  # TCP connections the emulator accepted during the run
    parts: dict[str, float] = field(default_factory=dict)  # ours: where the time went (``time_parts``)


def prepare(the_lab: Lab, cell: Cell, volumes: int) -> None:
    the_lab.fresh(latency_seconds=0.0)
    the_lab.seed_volumes(volumes)
    the_lab.control.set_latency(cell.latency)
    if cell.limit:
        rule = {"operation": "CreateVolumeBackup", "rateLimitPerSecond": cell.limit, "burst": cell.burst}
        the_lab.control.faults([rule])


def _counted(the_lab: Lab) -> tuple[int, int, int]:
    """(API requests, 429s, TCP connections) the emulator saw so far."""
    requests = sum(the_lab.control.calls().values())
    throttled = sum(n for key, n in the_lab.control.refused().items() if key.endswith(" 429"))
    return requests, throttled, the_lab.control.connections()


def time_parts(lines: list[dict[str, Any]], cell: Cell, seconds: float) -> dict[str, float]:
    """Where a sweep of ours spent its ``seconds``, from its log (each API call's end and duration, ms).

    ``lead_in``: the call's start to the first create sent (the listings); ``tail``: the last create's answer
    to ours (digest, publish, answer); between them each of the ``workers`` spends per create ``in_call``
    (sent to answered) and ``between`` (its own code and its wait for the next volume). Exactly:
    seconds = lead_in + creates / workers x (in_call + between) + tail, and the floor is creates / workers x
    latency, so the time above the floor is lead_in + tail + creates / workers x (in_call - latency + between).
    """
    starts = [line for line in lines if line.get("message") == "invocation" and line.get("trigger") == "schedule"]
    if not starts:
        return {}
    call = starts[-1]
    calls = [line for line in lines if line.get("call_id") == call["call_id"] and line.get("message") == "oci call"]
    creates = [line for line in calls if line.get("operation") == "CreateVolumeBackup"]
    if not creates:
        return {}

    def at(line: dict[str, Any]) -> float:
        return datetime.fromisoformat(line["timestamp"]).timestamp()

    durations = [float(line["duration_ms"]) / 1000 for line in creates]
    first = min(at(line) - d for line, d in zip(creates, durations, strict=True))
    last = max(at(line) for line in creates)
    work, n, workers = last - first, len(creates), cell.concurrency
    lead_in = first - at(call)
    in_call = sum(durations) / n
    between = max(0.0, (work * workers - sum(durations)) / n)
    return {
        "lead_in_seconds": lead_in,
        "tail_seconds": seconds - lead_in - work,
        "creates": n,
        "in_call_ms": in_call * 1000,
        "in_call_above_latency_ms": (in_call - cell.latency) * 1000,
        "between_ms": between * 1000,
        "in_call_above_latency_seconds": n / workers * (in_call - cell.latency),
        "between_seconds": n / workers * between,
    }


def run_product(the_lab: Lab, cell: Cell, volumes: int, run_id: str) -> SideRun:
    config = the_lab.function_config({"MAX_CONCURRENCY": str(cell.concurrency), "BACKUP_KINDS": "volume"})
    function = BenchFunction(PRODUCT, config).start()
    try:
        # warm, as the SDK script is when its clock starts: handler imported, config read, client built
        function.call({"volumeId": WARM_UP_VOLUME, "dryRun": True}, deadline_seconds=60)
        before = _counted(the_lab)
        cpu, emulator_cpu = function.cpu_seconds(), the_lab.emulator_cpu_seconds()
        started = time.perf_counter()
        answer = function.call({"trigger": "schedule", "schedule": run_id}, deadline_seconds=CALL_DEADLINE_SECONDS)
        seconds = time.perf_counter() - started
        process_cpu = function.cpu_seconds()
        cpu, emulator_cpu = process_cpu - cpu, the_lab.emulator_cpu_seconds() - emulator_cpu
        parts = time_parts(function.log_lines(), cell, seconds)
    finally:
        function.stop()
    result: dict[str, Any] = json.loads(answer.body) if answer.status == 200 else {}
    created = int(result.get("counts", {}).get("created", 0))
    problem = ""
    if created != volumes:
        reasons = sorted({str(i.get("reason", ""))[:120] for i in result.get("items", []) if i["status"] != "created"})
        problem = f"product {cell.label}: {result.get('counts') or answer.body[:300]!r}; {reasons[:3]}"
    requests, throttled, connections = (after - start for after, start in zip(_counted(the_lab), before, strict=True))
    lost = volumes - created
    return SideRun(
        "product", seconds, created, lost, throttled, requests, cpu, emulator_cpu, process_cpu, problem, connections,
        parts,
    )  # fmt: skip


def run_script(the_lab: Lab, cell: Cell, volumes: int, side: str, command: list[str], env: dict[str, str]) -> SideRun:
    """A sweep script that prints one JSON line (``created``, ``seconds``, ``cpuSeconds``) as its last."""
    emulator_cpu, connections_before = the_lab.emulator_cpu_seconds(), the_lab.control.connections()
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=stderr, cwd=ROOT)
        assert process.stdout is not None
        out = process.stdout.read().decode()
        process.stdout.close()
        _pid, status, usage = os.wait4(process.pid, 0)  # the script's own CPU time comes with its exit status
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        err = stderr.read().decode(errors="replace")
    process_cpu = usage.ru_utime + usage.ru_stime
    emulator_cpu = the_lab.emulator_cpu_seconds() - emulator_cpu
    requests, throttled, connections = _counted(the_lab)
    connections -= connections_before
    if process.returncode != 0 or not out.strip():
        problem = f"{side} {cell.label}: exit {process.returncode}: {err[-500:]}"
        nan = float("nan")
        return SideRun(side, nan, 0, volumes, throttled, requests, nan, emulator_cpu, process_cpu, problem, connections)
    result = json.loads(out.strip().splitlines()[-1])
    created = int(result["created"])
    errors = result.get("errors", [])[:3]
    problem = "" if created == volumes else f"{side} {cell.label}: {created} of {volumes}; {errors}"
    seconds, cpu, lost = float(result["seconds"]), float(result["cpuSeconds"]), volumes - created
    return SideRun(
        side, seconds, created, lost, throttled, requests, cpu, emulator_cpu, process_cpu, problem, connections
    )


def run_sdk(the_lab: Lab, cell: Cell, volumes: int, run_id: str) -> SideRun:
    env = {**the_lab.function_config(), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(SDK.python_path)}
    env.pop("NOTIFICATION_TOPIC_ID")  # the script publishes nothing: no GetTopic for the topic's endpoint
    command = [str(SDK.python), str(SDK.python_path / "sweep.py"), "--concurrency", str(cell.concurrency)]
    return run_script(the_lab, cell, volumes, "sdk", [*command, "--run-id", run_id], env)


def run_bare(the_lab: Lab, cell: Cell, volumes: int, run_id: str) -> SideRun:
    """The bare client (``bench/bare_sweep.py``) on our interpreter: the host's floor for this cell."""
    env = {**the_lab.function_config(), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "bench.bare_sweep", "--concurrency", str(cell.concurrency)]
    return run_script(the_lab, cell, volumes, BARE, command, env)


def run_side(the_lab: Lab, cell: Cell, side: str, volumes: int, run_id: str) -> SideRun:
    run = {"product": run_product, "sdk": run_sdk, BARE: run_bare}[side]
    return run(the_lab, cell, volumes, run_id)


@dataclass
class CellRuns:
    cell: Cell
    runs: list[SideRun]
    mode: str  # how it ran: "alone" or "wave of N runs at once"
    others_cpu_share: float | None = None  # of the machine's CPU, taken by other processes during a wave

    def side(self, name: str) -> list[SideRun]:
        return [r for r in self.runs if r.side == name]

    def summary(self, volumes: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "latency_ms": round(self.cell.latency * 1000),
            "limit_per_second": self.cell.limit,
            "concurrency": self.cell.concurrency,
            "volumes": volumes,
        }
        for side in SIDES:
            runs = self.side(side)
            ok = [r for r in runs if r.seconds == r.seconds]  # not NaN
            seconds = median([r.seconds for r in ok])
            created = median([r.created for r in runs])
            out[f"{side}_seconds"] = seconds
            out[f"{side}_throttled"] = median([r.throttled for r in runs])
            out[f"{side}_requests"] = median([r.requests for r in runs])
            out[f"{side}_lost"] = sum(r.lost for r in runs)
            out[f"{side}_per_second"] = created / seconds if seconds else float("nan")
            if self.cell.limit:
                out[f"{side}_share_of_limit"] = created / (self.cell.limit * seconds + self.cell.burst)
            out[f"{side}_emulator_cpu_seconds"] = median([r.emulator_cpu_seconds for r in runs])
            out[f"{side}_cpu_seconds"] = median([r.cpu_seconds for r in runs])
            out[f"{side}_connections"] = median([r.connections for r in runs])
        bare = [r.seconds for r in self.side(BARE) if r.seconds == r.seconds]
        if bare:
            out["bare_seconds"] = median(bare)
            out["bare_cpu_seconds"] = median([r.cpu_seconds for r in self.side(BARE)])
            out["bare_emulator_cpu_seconds"] = median([r.emulator_cpu_seconds for r in self.side(BARE)])
            out["bare_connections"] = median([r.connections for r in self.side(BARE)])
        parts = [r.parts for r in self.side("product") if r.parts]
        if parts:
            out["product_parts"] = {key: median([p[key] for p in parts]) for key in parts[0]}
        add_floor(out)
        out["speedup"] = out["sdk_seconds"] / out["product_seconds"]
        out["no_worse"] = bool(
            out["product_lost"] <= out["sdk_lost"] and out["product_per_second"] >= out["sdk_per_second"]
        )
        out["runs_per_side"] = len(self.side("product"))
        out["mode"] = self.mode
        out["others_cpu_share"] = self.others_cpu_share
        out["samples"] = [asdict(r) for r in self.runs]
        return out


def add_floor(summary: dict[str, Any]) -> dict[str, Any]:
    """A cell's summary with its physical floor (``floor_s``, from the cell alone), each side's seconds over it
    and the emulator's CPU over each side's seconds (the emulator answers under one lock: on the same host its
    CPU time is a floor of its own). Pure: also fills in results measured before these figures existed."""
    limit = summary["limit_per_second"]
    cell = Cell(summary["latency_ms"] / 1000, float(limit) if limit else None, summary["concurrency"])
    summary["floor_s"] = cell.floor_seconds(summary["volumes"])
    for side in SIDES:
        seconds = summary[f"{side}_seconds"]
        summary[f"{side}_vs_floor"] = seconds / summary["floor_s"]
        summary[f"{side}_emulator_busy_share"] = summary[f"{side}_emulator_cpu_seconds"] / seconds
    if "bare_seconds" in summary:
        summary["bare_vs_floor"] = summary["bare_seconds"] / summary["floor_s"]
        summary["product_vs_bare"] = summary["product_seconds"] / summary["bare_seconds"]
    return summary


Log = Callable[[str], None]


def measure_alone(cells: list[Cell], runs: int, volumes: int, log: Log) -> Iterator[CellRuns]:
    """Each cell alone on the machine, ``runs`` per side and of the bare client, in turn (ABC CBA), one emulator
    reused."""
    with lab() as the_lab:
        for cell in cells:
            log(f"  cell {cell.label}: {runs} runs per side and of the bare client, alone")
            done = []
            for n, side in enumerate(alternating((*SIDES, BARE), runs)):
                prepare(the_lab, cell, volumes)
                done.append(run_side(the_lab, cell, side, volumes, f"grid-{n}"))
            yield CellRuns(cell, done, "alone")


def measure_wave(cells: list[Cell], volumes: int, log: Log) -> Iterator[CellRuns]:
    """Every side of every cell at once, each in its own emulator process.

    Also measures how much CPU other processes of the machine took during the wave: the machine's
    busy time (``/proc/stat``) minus ours (the functions, the SDK scripts, the emulators, this process)."""
    jobs = [(cell, side) for cell in cells for side in SIDES]
    log(f"  wave of {len(jobs)} runs at once: " + "; ".join(c.label for c in cells))
    results: list[SideRun | None] = [None] * len(jobs)
    with ExitStack() as stack:
        labs = [stack.enter_context(lab()) for _ in jobs]
        for the_lab, (cell, _side) in zip(labs, jobs, strict=True):
            prepare(the_lab, cell, volumes)
        gate = threading.Barrier(len(jobs) + 1)

        def work(i: int) -> None:
            cell, side = jobs[i]
            gate.wait()
            results[i] = run_side(labs[i], cell, side, volumes, f"wave-{i}")

        threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(jobs))]
        for thread in threads:
            thread.start()
        busy, own = machine_busy_seconds(), self_cpu_seconds()
        started = time.perf_counter()
        gate.wait()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        busy, own = machine_busy_seconds() - busy, self_cpu_seconds() - own
    done = [r for r in results if r is not None]
    ours = own + sum(r.process_cpu_seconds + r.emulator_cpu_seconds for r in done)
    others_share = max(0.0, busy - ours) / (wall * cpu_count())
    mode = f"wave of {len(jobs)} runs at once"
    for cell in cells:
        runs = [r for r, (c, _s) in zip(results, jobs, strict=True) if c == cell and r is not None]
        yield CellRuns(cell, runs, mode, others_share)
