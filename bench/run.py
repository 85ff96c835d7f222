"""``make bench``: every figure of bench/RESULTS.md, ours vs the same handler on the ``oci`` SDK, in one run.

    PYTHONPATH=. .venv/bin/python -m bench.run [--quick]

Writes ``bench/results.json`` and ``bench/RESULTS.md``. Needs ``bench/.venv-sdk`` (``oci`` + ``fdk``;
the Makefile creates it). Not a test: nothing here runs in ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import coldstart, footprint, machine, readme_figures, report, scale, signing_cost, sweep
from bench import restore as restore_bench
from bench.lab import lab
from bench.procs import (
    BENCH,
    FLOOR,
    PRODUCT,
    SDK,
    STACK_FLOOR,
    WORK_FLOOR,
    cpu_count,
    machine_busy_seconds,
    tree_cpu_seconds,
)
from bench.stats import Samples
from tests.fdk_harness import ROOT


@dataclass(frozen=True)
class Plan:
    cold_runs: int = 11
    import_runs: int = 5
    signing_runs: int = 9
    signing_iterations: int = 1000
    probe_signatures: int = 300
    grid_volumes: int = 2000
    grid_latencies: tuple[float, ...] = (0.05, 0.2)
    grid_limits: tuple[float | None, ...] = (None, 10.0, 20.0)
    grid_concurrency: tuple[int, ...] = (8, 32)  # 8: the product's default MAX_CONCURRENCY
    alone_runs: int = 2  # per side, cells without a limit (cells under a limit run once, all at once)
    restores: int = 20  # restore tests per mode (on the emulator clock: not timed)

    @property
    def headline_cell(self) -> sweep.Cell:
        """The cell ``sweep_speedup`` reports: default concurrency, no limit, the lowest latency."""
        return sweep.Cell(min(self.grid_latencies), None, min(self.grid_concurrency))


QUICK_OUT = BENCH / ".work" / "quick"  # a smoke run never overwrites the committed results
README = ROOT / "README.md"
QUICK = Plan(
    cold_runs=3, import_runs=2, signing_runs=3, signing_iterations=300, probe_signatures=100, grid_volumes=300,
    grid_latencies=(0.05,), grid_limits=(None, 20.0), grid_concurrency=(8,), alone_runs=1, restores=5,
)  # fmt: skip


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def cold_figures(samples: Samples, label: str, runs: int) -> dict[str, Any]:
    def m(kind: str, side: str) -> float:
        return samples.median(f"{label}{kind}:{side}")

    product, sdk, floor, stack, work = (m("", s.name) for s in (PRODUCT, SDK, FLOOR, STACK_FLOOR, WORK_FLOOR))
    return {
        "work_floor_seconds": work,
        "vs_work_floor": ratio(product, work),
        "work_floor_cpu_seconds": m(":cpu", WORK_FLOOR.name),
        "product_seconds": product,
        "sdk_seconds": sdk,
        "floor_seconds": floor,
        "stack_floor_seconds": stack,
        "stack_floor_ratio": ratio(stack, sdk),
        "vs_stack_floor": ratio(product, stack),
        "stack_floor_cpu_seconds": m(":cpu", STACK_FLOOR.name),
        "ratio": ratio(product, sdk),
        "ratio_above_floor": ratio(product - floor, sdk - floor),
        "product_cpu_seconds": m(":cpu", PRODUCT.name),
        "sdk_cpu_seconds": m(":cpu", SDK.name),
        "floor_cpu_seconds": m(":cpu", FLOOR.name),
        "cpu_ratio": ratio(m(":cpu", PRODUCT.name), m(":cpu", SDK.name)),
        "product_minor_faults": m(":faults", PRODUCT.name),
        "stack_floor_minor_faults": m(":faults", STACK_FLOOR.name),
        "product_socket_ready_seconds": m(":ready", PRODUCT.name),
        "sdk_socket_ready_seconds": m(":ready", SDK.name),
        "runs_per_side": runs,
    }


def measure_footprint() -> dict[str, Any]:
    sides = footprint.measure()
    ours, theirs = sides["product"], sides["oci-sdk"]
    target = footprint.install_dir("product")
    mb = 1e6
    return {
        "product_mb": ours.total_bytes / mb,
        "sdk_mb": theirs.total_bytes / mb,
        "ratio": ratio(ours.total_bytes, theirs.total_bytes),
        "product_runtime_only_mb": ours.runtime_only_bytes / mb,
        "sdk_runtime_only_mb": theirs.runtime_only_bytes / mb,
        "runtime_only_ratio": ratio(ours.runtime_only_bytes, theirs.runtime_only_bytes),
        "runtime_only_vs_full_sdk_ratio": ratio(ours.runtime_only_bytes, theirs.total_bytes),
        "runtime_only_imports_ok": footprint.runtime_only_imports(target, ROOT, coldstart.IMPORTS[PRODUCT.name]),
        "install_time_only": sorted(footprint.FDK_INSTALL_TIME_ONLY),
        "product_installed_with_no_deps": footprint.no_deps("product"),
        "product_largest_mb": _largest(ours.by_distribution),
        "sdk_largest_mb": _largest(theirs.by_distribution),
    }


def _rounded(values: dict[str, list[float]]) -> dict[str, list[float]]:
    return {name: [float(f"{v:.5g}") for v in runs] for name, runs in values.items()}


def _largest(sizes: dict[str, int], n: int = 8) -> dict[str, float]:
    return {name: round(size / 1e6, 1) for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:n]}


def measure_grid(plan: Plan) -> list[sweep.CellRuns]:
    cells = sweep.grid(plan.grid_latencies, plan.grid_limits, plan.grid_concurrency)
    measured = list(sweep.measure_alone([c for c in cells if not c.limit], plan.alone_runs, plan.grid_volumes, log))
    measured += sweep.measure_wave([c for c in cells if c.limit], plan.grid_volumes, log)
    return measured


def measure(plan: Plan) -> dict[str, Any]:
    started = time.perf_counter()
    busy_at_start, ours_at_start = machine_busy_seconds(), tree_cpu_seconds()
    results: dict[str, Any] = {"machine": machine.describe(), "code": machine.code_version()}
    probe_start = signing_cost.cpu_probe_us(plan.probe_signatures)
    problems: list[str] = []
    failures = 0

    log("footprint: pip install --target of each requirement set (cached in bench/.work)")
    results["footprint"] = measure_footprint()

    log(f"signing: {plan.signing_runs} runs x {plan.signing_iterations} interleaved calls")
    signing = signing_cost.measure(plan.signing_runs, plan.signing_iterations)
    results["signing"] = {
        "signer_us": signing.median("signer") * 1e6,
        "bare_rsa2048_us": signing.median("bare") * 1e6,
        "own_us": signing.median("own") * 1e6,
        "ratio": signing.median("ratio"),
        "runs": plan.signing_runs,
        "iterations_per_run": plan.signing_iterations,
    }

    log("import profile of each side")
    results["imports"] = {side.name: coldstart.import_profile(side, plan.import_runs) for side in (PRODUCT, SDK)}

    with lab() as the_lab:
        log(f"cold start: {plan.cold_runs} rounds of all five sides, with and without bytecode caches (ABCDE EDCBA)")
        cold = coldstart.measure(the_lab, plan.cold_runs)
        log(f"start-up breakdown: {plan.cold_runs} in-process probes of our imports and first invocations")
        startup = coldstart.startup_breakdown(the_lab, plan.cold_runs)
    failures += cold.failures
    problems += cold.problems
    results["cold_start"] = cold_figures(cold, "cold", plan.cold_runs)
    results["cold_start_no_bytecode"] = cold_figures(cold, "cold_no_bytecode", plan.cold_runs)
    failures += startup.failures
    problems += startup.problems
    results["cold_start"]["ours_cpu_seconds"] = {
        "imports": startup.median("imports"),
        "first_invocation": startup.median("first"),
        "warm_invocation": startup.median("second"),
        "pydantic": startup.median("pydantic"),
    }
    results["peak_rss"] = {
        "product_mb": cold.median(f"rss:{PRODUCT.name}"),
        "sdk_mb": cold.median(f"rss:{SDK.name}"),
        "floor_mb": cold.median(f"rss:{FLOOR.name}"),
        "runs_per_side": plan.cold_runs,
    }

    log(f"sweep grid: {plan.grid_volumes} volumes per run, ours vs the SDK pool")
    cells = measure_grid(plan)
    grid = [c.summary(plan.grid_volumes) for c in cells]
    for c in cells:
        problems += [r.problem for r in c.runs if r.problem]
        failures += sum(r.lost for r in c.side("product"))
    results["sweep_grid"] = grid
    headline = plan.headline_cell
    main_cell = next(g for c, g in zip(cells, grid, strict=True) if c.cell == headline)
    limited = [g for g in grid if g["limit_per_second"]]
    results["rate_limit"] = {
        "cells": len(limited),
        "product_share_of_limit_min": min((g["product_share_of_limit"] for g in limited), default=float("nan")),
        "sdk_share_of_limit_min": min((g["sdk_share_of_limit"] for g in limited), default=float("nan")),
        "product_lost": sum(g["product_lost"] for g in limited),
        "sdk_lost": sum(g["sdk_lost"] for g in limited),
    }

    results["restore"] = measure_restores(plan.restores)

    probe_end = signing_cost.cpu_probe_us(plan.probe_signatures)
    wall = time.perf_counter() - started
    others = (machine_busy_seconds() - busy_at_start) - (tree_cpu_seconds() - ours_at_start)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["hygiene"] = machine.hygiene(
        results["machine"], probe_start, probe_end, max(0.0, others) / (wall * cpu_count()), cells
    )
    results["samples"] = {
        "signing": _rounded(signing.values),
        "cold_start": _rounded(cold.values),
        "startup_breakdown": _rounded(startup.values),
    }
    results["bench_seconds"] = time.perf_counter() - started
    results["problems"] = problems
    cold_figs = results["cold_start"]
    headline_figures = {
        "cold_start_ratio": cold_figs["ratio"],
        "cold_start_ratio_no_bytecode": results["cold_start_no_bytecode"]["ratio"],
        "cold_start_vs_stack_floor": cold_figs["vs_stack_floor"],
        "cold_start_vs_work_floor": cold_figs["vs_work_floor"],
        "footprint_ratio": results["footprint"]["ratio"],
        "peak_rss_mb": results["peak_rss"]["product_mb"],
        "signing_overhead": results["signing"]["ratio"],
        "signing_own_us": results["signing"]["own_us"],
        "cpu_probe_us": probe_start,
        "sweep_speedup": main_cell["speedup"],
        "sweep_vs_floor_max": max(g["product_vs_floor"] for g in grid),
        "sweep_cells_worse_than_sdk": sum(not g["no_worse"] for g in grid),
        "rate_limit_efficiency": results["rate_limit"]["product_share_of_limit_min"],
        "rate_limit_failures": results["rate_limit"]["product_lost"],
        "failures": failures,
    }
    return {**headline_figures, **results, "targets": report.check_targets(headline_figures)}


SCALE_QUICK = scale.ScalePlan(volumes=1000, backups=4000, limit_per_second=50.0, deadline_seconds=30.0)


def measure_scale(out: Path, quick: bool) -> int:
    """The big fleet, added to ``out``'s results.json as ``scale`` (the other figures kept as they are)."""
    plan = SCALE_QUICK if quick else scale.ScalePlan()
    log(f"scale: {plan.volumes:,} volumes, {plan.backups:,} backups, {plan.compartments} compartments")
    started = time.perf_counter()
    figures = scale.measure(plan, log)
    figures["bench_seconds"] = time.perf_counter() - started
    figures["quick"] = quick
    figures["code"] = machine.code_version()
    path = out / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if not results:
        print(f"no {path}: run the bench first (the scale figures are added to its results)", file=sys.stderr)
        return 2
    results["scale"] = figures
    results = derive(results)
    path.write_text(json.dumps(results, indent=2) + "\n")
    write_reports(out, results)
    for name in ("scale_peak_rss_mb", "scale_chain_vs_floor", "scale_list_calls", "scale_exactly_once"):
        target = results["targets"].get(name)
        if target:
            log(f"  {name}: {target['value']:.3g} (target {target['target']}) {'met' if target['met'] else 'MISSED'}")
    return 0


def measure_restores(restores: int) -> list[dict[str, Any]]:
    """The restore tests on the emulator clock (``bench/restore.py``), with the sandbox's events and with an
    hourly schedule alone."""
    log(f"restore tests: {restores} restores with the sandbox's events, then with an hourly schedule alone")
    return [restore_bench.run(mode, restores, 60) for mode in ("events", "schedule")]


def add_restores(out: Path, quick: bool) -> int:
    """The restore tests only, added to ``out``'s results.json as ``restore`` (they are not timed, so the
    machine's load does not enter them; the other figures kept as they are)."""
    path = out / "results.json"
    if not path.exists():
        print(f"no {path}: run the bench first (the restore figures are added to its results)", file=sys.stderr)
        return 2
    results = json.loads(path.read_text())
    results["restore"] = measure_restores((QUICK if quick else Plan()).restores)
    results = derive(results)
    path.write_text(json.dumps(results, indent=2) + "\n")
    write_reports(out, results)
    return 0


def derive(results: dict[str, Any]) -> dict[str, Any]:
    """The figures computed from others (the grid's floors, the targets), filled in where a results file made
    before they existed lacks them; measured figures are left as they are."""
    grid = [sweep.add_floor(cell) for cell in results["sweep_grid"]]
    results["sweep_vs_floor_max"] = max(cell["product_vs_floor"] for cell in grid)
    big = results.get("scale")
    if big:
        full = big["full_listing_calls"]["ListVolumes"]
        results["scale_peak_rss_mb"] = big["peak_rss_max_mb"]
        done = big["exactly_once"]  # time and calls count only for a chain that backed up the whole fleet
        results["scale_chain_vs_floor"] = big["chain_vs_floor"] if done else float("nan")
        # the chain's source listings over one full listing plus one call per hand-over (target: at most 1)
        results["scale_list_calls"] = big["sources_list_calls"] / (full + big["hand_overs"]) if done else float("nan")
        results["scale_exactly_once"] = float(big["exactly_once"])
    restores = results.get("restore")
    if restores:  # with the sandbox's events
        results["restore_life_vs_restore_max"] = restores[0]["lifeOverRestoreMax"]
        results["restore_calls_per_verified"] = restores[0]["callsPerVerifiedRestore"]
    results["targets"] = report.check_targets(results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run (or BENCH_QUICK=1): fewer runs, cells, volumes; to {QUICK_OUT}",
    )
    parser.add_argument("--out", help=f"where to write results.json and RESULTS.md (default {BENCH})")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite RESULTS.md (and README figures) from results.json"
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="the big-fleet runs only (or BENCH_SCALE=1), added to the results as `scale` (--quick: a small fleet)",
    )
    parser.add_argument(
        "--restore", action="store_true", help="the restore tests only, added to the results as `restore`"
    )
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    out = Path(args.out or (QUICK_OUT if quick else BENCH)).resolve()
    if args.report_only:
        results = derive(json.loads((out / "results.json").read_text()))
        (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        write_reports(out, results)
        return 0
    if args.scale or os.environ.get("BENCH_SCALE") == "1":
        return measure_scale(out, quick)
    if args.restore:
        return add_restores(out, quick)
    if not SDK.fdk.exists():
        print(f"missing {SDK.fdk}: run `make bench` (it creates bench/.venv-sdk)", file=sys.stderr)
        return 2
    plan = QUICK if quick else Plan()
    results = measure(plan)
    results["plan"] = {**asdict(plan), "quick": quick}
    previous = out / "results.json"
    kept = json.loads(previous.read_text()).get("scale") if previous.exists() else None
    if kept:  # measured by `make bench SCALE=1` only: the last such run's figures stay
        results["scale"] = kept
    results = derive(results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_reports(out, results)
    log(f"wrote {out}/results.json and RESULTS.md in {results['bench_seconds']:.0f} s; failures: {results['failures']}")
    for name, target in results["targets"].items():
        log(f"  {name}: {target['value']:.3g} (target {target['target']}) {'met' if target['met'] else 'MISSED'}")
    for warning in results["hygiene"]["warnings"]:
        log(f"  WARNING: {warning}")
    return 0


def write_reports(out: Path, results: dict[str, Any]) -> None:
    """RESULTS.md beside results.json; the README's figures too when these are the committed results."""
    (out / "RESULTS.md").write_text(report.markdown(results))
    if out == BENCH.resolve():
        changed = readme_figures.update(README, results)
        log(
            f"README.md: {changed} performance figures updated from results.json"
            if changed
            else "README.md: figures current"
        )


if __name__ == "__main__":
    sys.exit(main())
