"""Sweep and rate limit: our schedule trigger through the fdk process vs a serial SDK loop.

Sweep: ``volumes`` AVAILABLE volumes in one compartment, every API answer delayed by ``latency``.
Ours: one schedule invocation (``MAX_CONCURRENCY``) of a started function, timed from the call to
the answer (ListVolumes pages, ListVolumeBackups pages of the compartment, then one
CreateVolumeBackup per volume, then the digest). The SDK loop (``sdk_handler/sweep.py``, timed
inside the script after its imports) lists all the volumes and backs up the first ``sdk_sample``
one after another (one call per volume; the "same work" variant also lists each volume's backups
first, the duplicate check a careful loop makes); its time for all of them is the list time plus
the per-volume time times ``volumes`` (linear: the loop is serial).

Rate limit: the emulator lets ``rate`` CreateVolumeBackup per second through (token bucket holding
``burst`` = ``rate`` tokens, i.e. one second's worth, full at the start) and answers the rest 429.
One schedule invocation over ``volumes`` volumes. Achieved = backups created / seconds of the
invocation; efficiency = created / (rate x seconds + burst), the share of what the limit let through.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from bench.lab import Lab
from bench.procs import PRODUCT, SDK, BenchFunction
from bench.stats import Samples


@dataclass(frozen=True)
class SweepRun:
    seconds: float
    result: dict[str, Any]
    function_cpu_seconds: float
    emulator_cpu_seconds: float
    requests: int  # API requests the emulator authenticated during the run

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self.result.get("counts", {})
        return counts


def product_sweep(lab: Lab, concurrency: int, schedule: str) -> SweepRun:
    config = lab.function_config({"MAX_CONCURRENCY": str(concurrency), "BACKUP_KINDS": "volume"})
    function = BenchFunction(PRODUCT, config).start()
    try:
        cpu, emulator_cpu = function.cpu_seconds(), lab.emulator_cpu_seconds()
        started = time.perf_counter()
        answer = function.call({"trigger": "schedule", "schedule": schedule}, deadline_seconds=290)
        elapsed = time.perf_counter() - started
        cpu, emulator_cpu = function.cpu_seconds() - cpu, lab.emulator_cpu_seconds() - emulator_cpu
    finally:
        function.stop()
    result: dict[str, Any] = json.loads(answer.body) if answer.status == 200 else {"error": answer.body.decode()}
    return SweepRun(elapsed, result, cpu, emulator_cpu, sum(lab.control.calls().values()))


def sdk_sweep(lab: Lab, sample: int, run_id: str, *, check_history: bool) -> dict[str, Any]:
    env = {**lab.function_config(), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(SDK.python_path)}
    command = [str(SDK.python), str(SDK.python_path / "sweep.py"), "--sample", str(sample), "--run-id", run_id]
    done = subprocess.run(
        command + (["--check-history"] if check_history else []),
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _prepare(lab: Lab, volumes: int, latency: float) -> None:
    lab.fresh(latency_seconds=0.0)
    lab.seed_volumes(volumes)
    lab.control.set_latency(latency)


SWEEP_SIDES = ("product", "sdk", "sdk_same_work")


def measure_sweep(lab: Lab, runs: int, volumes: int, latency: float, concurrency: int, sdk_sample: int) -> Samples:
    """Each run: ours, the SDK loop, the SDK loop with a duplicate check per volume; the order rotates."""
    samples = Samples()
    for n in range(runs):
        for side in SWEEP_SIDES[n % 3 :] + SWEEP_SIDES[: n % 3]:
            _prepare(lab, volumes, latency)
            if side == "product":
                run = product_sweep(lab, concurrency, f"bench-{n}")
                if run.counts != {"created": volumes}:
                    samples.fail(f"product sweep: {run.counts} of {volumes}: {str(run.result)[:300]}")
                    continue
                samples.add("product_seconds", run.seconds)
                samples.add("product_cpu_seconds", run.function_cpu_seconds)
                samples.add("emulator_cpu_seconds", run.emulator_cpu_seconds)
                samples.add("product_requests", run.requests)
                continue
            sdk = sdk_sweep(lab, sdk_sample, f"bench-{n}", check_history=side == "sdk_same_work")
            if sdk.get("created") != min(sdk_sample, volumes) or sdk.get("volumesListed") != volumes:
                samples.failures += int(sdk.get("failed", 1))
                samples.problems.append(f"{side} sweep: {str(sdk)[:300]}")
                continue
            per_volume = sdk["createSeconds"] / sdk["created"]
            samples.add(f"{side}_list_seconds", sdk["listSeconds"])
            samples.add(f"{side}_sample_seconds", sdk["createSeconds"])
            samples.add(f"{side}_per_volume_seconds", per_volume)
            samples.add(f"{side}_seconds", sdk["listSeconds"] + per_volume * volumes)
    lab.control.set_latency(0.0)
    return samples


def measure_rate_limit(lab: Lab, runs: int, volumes: int, rate: float, concurrency: int, latency: float) -> Samples:
    samples = Samples()
    burst = max(1, round(rate))
    for n in range(runs):
        _prepare(lab, volumes, latency)
        lab.control.faults([{"operation": "CreateVolumeBackup", "rateLimitPerSecond": rate, "burst": burst}])
        run = product_sweep(lab, concurrency, f"rate-{n}")
        lab.control.clear_faults()
        created = run.counts.get("created", 0)
        if created != volumes:
            samples.failures += volumes - created
            reasons = sorted(
                {str(i.get("reason", ""))[:120] for i in run.result.get("items", []) if i["status"] != "created"}
            )
            samples.problems.append(f"rate limit run {n}: {run.counts}; {reasons[:3]}")
        samples.add("seconds", run.seconds)
        samples.add("created", created)
        samples.add("achieved_per_second", created / run.seconds)
        samples.add("efficiency", created / (rate * run.seconds + burst))
    lab.control.set_latency(0.0)
    return samples
