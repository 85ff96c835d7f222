"""The big fleet (``make bench SCALE=1``): one tenancy as large as OCI's default backup limit allows.

``volumes`` AVAILABLE volumes over ``compartments`` compartments, each with ``backups / volumes`` finished
backups of the tool's own (1 to 4 days old, so retention deletes none), in one emulator. Then, each as
a fresh fdk process (its peak RSS, ``VmHWM``, is that invocation's):

- **the create-backup sweep chain** (first, on the untouched fleet): one schedule run, then every
  hand-over it leaves, run in order as the platform would run the detached invocations, under a
  CreateVolumeBackup rate limit with injected 500s on a share of those calls; seconds, list calls
  and creates per run; each volume backed up exactly once (the emulator's ``createvolumebackup.begin`` events);
- **a posture request** (``{"posture": true}``): the whole fleet's posture, nothing written;
- **the copy reconcile** of copy-backup (one schedule run to a DR region, a dry run: it lists every
  backup and its copies and plans, so its memory is the listing's, not the copies').

Not a test: nothing here runs in ``make test`` (the smaller correctness versions are in the tests).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from bench.lab import REGION, Lab, lab
from bench.procs import PRODUCT, BenchFunction, process_cpu_seconds
from emulator import EmulatorControl
from shared.rules.tags import MANAGED_BY_KEY, MANAGED_BY_VALUE, SOURCE_KEY

DR_REGION = "us-phoenix-1"
DAY = 86400.0
FUNCTION_MEMORY_MB = 128  # the memory the Terraform variable allows a function at least
LIST_OPERATIONS = ("ListVolumes", "ListVolumeBackups")


@dataclass(frozen=True)
class ScalePlan:
    volumes: int = 25_000
    backups: int = 100_000  # OCI's default backup limit per tenancy
    compartments: int = 5
    limit_per_second: float = 250.0  # CreateVolumeBackup
    error_rate: float = 0.05  # injected 500s on CreateVolumeBackup
    deadline_seconds: float = 60.0  # each run's Fn-Deadline
    margin_seconds: float = 20.0  # DEADLINE_MARGIN_SECONDS
    concurrency: int = 32
    seed_workers: int = 4


@dataclass
class ChainRun:
    seconds: float
    created: int
    deferred: int
    failed: int
    list_calls: dict[str, int]
    peak_rss_mb: float
    handed_over: bool
    error: str | None = None
    notes: tuple[str, ...] = ()
    cpu_seconds: float = 0.0  # the function process's


Log = Callable[[str], None]


def seed(the_lab: Lab, plan: ScalePlan, log: Log) -> tuple[list[str], list[str]]:
    """The fleet: volumes spread over the compartments, ``backups`` of the tool's own spread over the volumes.
    Returns the volume ids and the compartments."""
    the_lab.fresh(latency_seconds=0.0)
    compartments = [the_lab.compartment] + [
        str(the_lab.control.create_compartment(f"scale-{n}")["id"]) for n in range(1, plan.compartments)
    ]
    per_volume = plan.backups // plan.volumes
    started = time.perf_counter()

    def part(n: int) -> list[str]:
        control = EmulatorControl(the_lab.control.base_url, timeout=120.0)
        ids = []
        for i in range(n, plan.volumes, plan.seed_workers):
            compartment = compartments[i % len(compartments)]
            volume = str(
                control.create_volume(REGION, compartment, f"vol-{i:06d}", freeform_tags={"env": "scale"})["id"]
            )
            for b in range(per_volume):
                tags = {MANAGED_BY_KEY: MANAGED_BY_VALUE, SOURCE_KEY: volume}
                control.seed_backup(REGION, volume, age_seconds=DAY * (b + 1), freeform_tags=tags)
            ids.append(volume)
        return ids

    with ThreadPoolExecutor(plan.seed_workers) as pool:
        volumes = [v for ids in pool.map(part, range(plan.seed_workers)) for v in ids]
    seconds = time.perf_counter() - started
    log(f"  seeded {len(volumes):,} volumes and {len(volumes) * per_volume:,} backups in {seconds:.0f} s")
    return volumes, compartments


def _lists(control: EmulatorControl) -> dict[str, int]:
    calls = control.calls()
    return {op: calls.get(f"{REGION} {op}", 0) for op in LIST_OPERATIONS}


class Ran(NamedTuple):
    result: dict[str, Any]
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float  # the function process's, start-up included


def _run(the_lab: Lab, config: Mapping[str, str], body: dict[str, Any], deadline: float) -> Ran:
    function = BenchFunction(PRODUCT, config).start()
    try:
        started = time.perf_counter()
        answer = function.call(body, deadline_seconds=deadline)
        seconds = time.perf_counter() - started
        rss = function.peak_rss_mb()
        assert function.process is not None
        cpu = process_cpu_seconds(function.process.pid)
    finally:
        function.stop()
    result: dict[str, Any] = json.loads(answer.body) if answer.body else {}
    return Ran(result, seconds, rss, cpu)


def sweep_chain(
    the_lab: Lab, plan: ScalePlan, compartments: list[str], log: Log
) -> tuple[list[ChainRun], dict[str, Any] | None]:
    """The runs of the chain, and the posture its last run reported (counted along the chain)."""
    control = the_lab.control
    rule = {
        "operation": "CreateVolumeBackup",
        "rateLimitPerSecond": plan.limit_per_second,
        "burst": max(1, round(plan.limit_per_second)),
    }
    errors = {"operation": "CreateVolumeBackup", "errorRate": plan.error_rate, "status": 500}
    control.faults([rule, errors], seed=7)
    config = the_lab.function_config({
        "BACKUP_KINDS": "volume",
        "COMPARTMENT_IDS": ",".join(compartments),
        "MAX_CONCURRENCY": str(plan.concurrency),
        "DEADLINE_MARGIN_SECONDS": str(plan.margin_seconds),
        "RETENTION_DAYS": "30",
    })  # fmt: skip
    # registered, so GetFunction gives the hand-over an invoke endpoint (the emulator records the invocation)
    config["FN_FN_ID"] = str(control.create_function(REGION, the_lab.compartment, "create-backup")["id"])
    body: dict[str, Any] = {"trigger": "schedule", "schedule": "scale", "slot": "2026-12-04T00:00Z"}
    runs: list[ChainRun] = []
    handed = 0
    while True:
        before = _lists(control)
        result, seconds, rss, cpu = _run(the_lab, config, body, plan.deadline_seconds)
        after = _lists(control)
        invocations = control.invocations()
        counts = result.get("counts", {})
        run = ChainRun(
            seconds, counts.get("created", 0), counts.get("deferred", 0), counts.get("failed", 0),
            {op: after[op] - before[op] for op in LIST_OPERATIONS}, rss, len(invocations) > handed,
            result.get("error"), tuple(str(n)[:200] for n in result.get("notes", [])), cpu,
        )  # fmt: skip
        runs.append(run)
        log(f"  run {len(runs)}: {run.seconds:.1f} s, {run.created:,} created, {run.failed} failed, "
            f"lists {run.list_calls}, peak RSS {rss:.0f} MB")  # fmt: skip
        if not run.handed_over or len(runs) >= 50:
            return runs, result.get("posture")
        body = json.loads(invocations[handed]["body"])
        handed += 1


def measure(plan: ScalePlan, log: Log) -> dict[str, Any]:
    with lab() as the_lab:
        volumes, compartments = seed(the_lab, plan, log)
        control = the_lab.control
        full_listing = _full_listing_calls(plan)

        log(f"  sweep chain: {plan.limit_per_second:g}/s, {plan.error_rate:.0%} injected 500s")
        started = time.perf_counter()
        emulator_cpu = the_lab.emulator_cpu_seconds()
        runs, chain_posture = sweep_chain(the_lab, plan, compartments, log)
        chain_seconds = time.perf_counter() - started
        chain_emulator_cpu = the_lab.emulator_cpu_seconds() - emulator_cpu
        control.faults([])

        log("  posture request (a fresh process)")
        config = the_lab.function_config({"BACKUP_KINDS": "volume", "COMPARTMENT_IDS": ",".join(compartments)})
        before = _lists(control)
        posture, posture_seconds, posture_rss, _ = _run(the_lab, config, {"posture": True}, 300)
        posture_lists = {op: n - before[op] for op, n in _lists(control).items()}

        log("  copy reconcile, dry run (a fresh process)")
        copy_config = the_lab.function_config({
            "HANDLER": "copy_backup",
            "COPY_DESTINATION_REGIONS": DR_REGION,
            "COMPARTMENT_IDS": ",".join(compartments),
        })  # fmt: skip
        reconcile, reconcile_seconds, reconcile_rss, _ = _run(
            the_lab, copy_config, {"trigger": "schedule", "schedule": "reconcile", "dryRun": True}, 300
        )

        begun = Counter(
            e["data"]["additionalDetails"]["volumeId"] for e in control.event_envelopes("createvolumebackup.begin")
        )
    once = sorted(begun) == sorted(volumes) and set(begun.values()) == {1}
    floor = plan.volumes / plan.limit_per_second
    hand_overs = sum(r.handed_over for r in runs)
    sources_listed = sum(r.list_calls["ListVolumes"] for r in runs)
    peak = {
        "create_sweep": max(r.peak_rss_mb for r in runs),
        "posture_request": posture_rss,
        "copy_reconcile": reconcile_rss,
    }
    return {
        "plan": asdict(plan),
        "volumes": plan.volumes,
        "backups": plan.volumes * (plan.backups // plan.volumes),
        "compartments": plan.compartments,
        "runs": len(runs),
        "hand_overs": hand_overs,
        "chain": [asdict(r) for r in runs],
        "list_calls_per_run": [sum(r.list_calls.values()) for r in runs],
        "seconds_per_run": [r.seconds for r in runs],
        "chain_seconds": chain_seconds,
        "chain_run_seconds": sum(r.seconds for r in runs),
        "floor_s": floor,
        "chain_vs_floor": sum(r.seconds for r in runs) / floor,
        "full_listing_calls": full_listing,
        "sources_list_calls": sources_listed,
        "sources_list_calls_allowed": full_listing["ListVolumes"] + hand_overs,
        "backups_list_calls": sum(r.list_calls["ListVolumeBackups"] for r in runs),
        # each run resumes inside a compartment whose backups it lists again (they are not in the cursor)
        "backups_list_calls_bound": full_listing["ListVolumeBackups"] * (1 + hand_overs / plan.compartments),
        "chain_posture_resources": (chain_posture or {}).get("resources"),
        "chain_emulator_cpu_seconds": chain_emulator_cpu,
        "chain_emulator_cpu_per_create_ms": 1000 * chain_emulator_cpu / max(1, sum(r.created for r in runs)),
        "chain_function_cpu_seconds": sum(r.cpu_seconds for r in runs),
        # the share of the host's CPUs the function and the emulator kept busy while the chain ran
        "chain_host_cpu_share": (chain_emulator_cpu + sum(r.cpu_seconds for r in runs))
        / (sum(r.seconds for r in runs) * (os.cpu_count() or 1)),
        "cpus": os.cpu_count(),
        "created": sum(r.created for r in runs),
        "failed": sum(r.failed for r in runs),
        "exactly_once": once,
        "volumes_backed_up": len(begun),
        "volumes_backed_up_twice": sum(1 for n in begun.values() if n > 1),
        "peak_rss_mb": peak,
        "peak_rss_max_mb": max(peak.values()),
        "function_memory_mb": FUNCTION_MEMORY_MB,
        "posture": {
            "error": posture.get("error"),
            "seconds": posture_seconds,
            "resources": posture.get("posture", {}).get("resources"),
            "list_calls": posture_lists,
        },
        "reconcile": {"seconds": reconcile_seconds, "counts": reconcile.get("counts"), "error": reconcile.get("error")},
    }


def _full_listing_calls(plan: ScalePlan) -> dict[str, int]:
    """What one full listing of the fleet takes: pages of 1,000 per compartment, sources and their backups."""
    per_compartment = -(-plan.volumes // plan.compartments)
    backups = per_compartment * (plan.backups // plan.volumes)
    return {
        "ListVolumes": plan.compartments * -(-per_compartment // 1000),
        "ListVolumeBackups": plan.compartments * -(-backups // 1000),
    }
