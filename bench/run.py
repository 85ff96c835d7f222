"""``make bench``: every figure of issue 10, ours vs the same handler on the ``oci`` SDK, in one run.

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
from dataclasses import dataclass
from typing import Any

from bench import coldstart, footprint, machine, report, signing_cost, sweep
from bench.lab import lab
from bench.procs import BENCH, FLOOR, PRODUCT, SDK, STACK_FLOOR
from bench.stats import Samples
from tests.fdk_harness import ROOT


@dataclass(frozen=True)
class Plan:
    cold_runs: int = 11
    import_runs: int = 5
    signing_runs: int = 9
    signing_iterations: int = 1000
    sweep_runs: int = 5
    sweep_volumes: int = 2000
    sweep_latency: float = 0.05
    sweep_concurrency: int = 32
    sdk_sample: int = 200
    rate_runs: int = 5
    rate: float = 20.0
    rate_volumes: int = 300
    rate_concurrency: int = 8  # the product's default MAX_CONCURRENCY
    rate_latency: float = 0.05


QUICK = Plan(
    cold_runs=3, import_runs=2, signing_runs=3, signing_iterations=300, sweep_runs=1, sweep_volumes=500, sdk_sample=50,
    rate_runs=1, rate_volumes=100,
)  # fmt: skip


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def cold_figures(samples: Samples, label: str, runs: int) -> dict[str, Any]:
    def m(kind: str, side: str) -> float:
        return samples.median(f"{label}{kind}:{side}")

    product, sdk, floor, stack = (m("", s.name) for s in (PRODUCT, SDK, FLOOR, STACK_FLOOR))
    return {
        "product_seconds": product,
        "sdk_seconds": sdk,
        "floor_seconds": floor,
        "stack_floor_seconds": stack,
        "stack_floor_ratio": ratio(stack, sdk),
        "stack_floor_cpu_seconds": m(":cpu", STACK_FLOOR.name),
        "ratio": ratio(product, sdk),
        "ratio_above_floor": ratio(product - floor, sdk - floor),
        "product_cpu_seconds": m(":cpu", PRODUCT.name),
        "sdk_cpu_seconds": m(":cpu", SDK.name),
        "floor_cpu_seconds": m(":cpu", FLOOR.name),
        "cpu_ratio": ratio(m(":cpu", PRODUCT.name), m(":cpu", SDK.name)),
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


def measure(plan: Plan) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine.describe()}
    problems: list[str] = []
    failures = 0

    log("footprint: pip install --target of each requirement set (cached in bench/.work)")
    results["footprint"] = measure_footprint()

    log(f"signing: {plan.signing_runs} runs x {plan.signing_iterations} interleaved calls")
    signing = signing_cost.measure(plan.signing_runs, plan.signing_iterations)
    results["signing"] = {
        "signer_us": signing.median("signer") * 1e6,
        "bare_rsa2048_us": signing.median("bare") * 1e6,
        "ratio": signing.median("ratio"),
        "runs": plan.signing_runs,
        "iterations_per_run": plan.signing_iterations,
    }

    log("import profile of each side")
    results["imports"] = {side.name: coldstart.import_profile(side, plan.import_runs) for side in (PRODUCT, SDK)}

    with lab() as the_lab:
        log(f"cold start: {plan.cold_runs} runs per side, with and without bytecode caches, ABBA order")
        cold = coldstart.measure(the_lab, plan.cold_runs)
        failures += cold.failures
        problems += cold.problems
        results["cold_start"] = cold_figures(cold, "cold", plan.cold_runs)
        results["cold_start_no_bytecode"] = cold_figures(cold, "cold_no_bytecode", plan.cold_runs)
        results["peak_rss"] = {
            "product_mb": cold.median(f"rss:{PRODUCT.name}"),
            "sdk_mb": cold.median(f"rss:{SDK.name}"),
            "floor_mb": cold.median(f"rss:{FLOOR.name}"),
            "runs_per_side": plan.cold_runs,
        }

        log(f"sweep: {plan.sweep_volumes} volumes, {plan.sweep_latency * 1000:.0f} ms latency, {plan.sweep_runs} runs")
        swept = sweep.measure_sweep(
            the_lab, plan.sweep_runs, plan.sweep_volumes, plan.sweep_latency, plan.sweep_concurrency, plan.sdk_sample
        )
        failures += swept.failures
        problems += swept.problems
        results["sweep"] = {
            "volumes": plan.sweep_volumes,
            "latency_seconds": plan.sweep_latency,
            "max_concurrency": plan.sweep_concurrency,
            "product_seconds": swept.median("product_seconds"),
            "sdk_seconds": swept.median("sdk_seconds"),
            "speedup": ratio(swept.median("sdk_seconds"), swept.median("product_seconds")),
            "sdk_same_work_seconds": swept.median("sdk_same_work_seconds"),
            "speedup_same_work": ratio(swept.median("sdk_same_work_seconds"), swept.median("product_seconds")),
            "sdk_extrapolated_from_sample": plan.sdk_sample < plan.sweep_volumes,
            "sdk_sample_volumes": min(plan.sdk_sample, plan.sweep_volumes),
            "sdk_sample_seconds": swept.median("sdk_sample_seconds"),
            "sdk_list_seconds": swept.median("sdk_list_seconds"),
            "sdk_per_volume_seconds": swept.median("sdk_per_volume_seconds"),
            "product_cpu_seconds": swept.median("product_cpu_seconds"),
            "product_requests": swept.median("product_requests"),
            "emulator_cpu_seconds": swept.median("emulator_cpu_seconds"),
            "runs_per_side": plan.sweep_runs,
        }

        log(f"rate limit: {plan.rate:g}/s on CreateVolumeBackup, {plan.rate_volumes} volumes, {plan.rate_runs} runs")
        limited = sweep.measure_rate_limit(
            the_lab, plan.rate_runs, plan.rate_volumes, plan.rate, plan.rate_concurrency, plan.rate_latency
        )
        failures += limited.failures
        problems += limited.problems
        results["rate_limit"] = {
            "rate_per_second": plan.rate,
            "burst": max(1, round(plan.rate)),
            "volumes": plan.rate_volumes,
            "max_concurrency": plan.rate_concurrency,
            "latency_seconds": plan.rate_latency,
            "seconds": limited.median("seconds"),
            "created": limited.median("created"),
            "achieved_per_second": limited.median("achieved_per_second"),
            "efficiency": limited.median("efficiency"),
            "failed_operations": limited.failures,
            "runs": plan.rate_runs,
        }

    results["samples"] = {
        "signing": _rounded(signing.values),
        "cold_start": _rounded(cold.values),
        "sweep": _rounded(swept.values),
        "rate_limit": _rounded(limited.values),
    }
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["bench_seconds"] = time.perf_counter() - started
    results["problems"] = problems
    headline = {
        "cold_start_ratio": results["cold_start"]["ratio"],
        "cold_start_ratio_no_bytecode": results["cold_start_no_bytecode"]["ratio"],
        "footprint_ratio": results["footprint"]["ratio"],
        "peak_rss_mb": results["peak_rss"]["product_mb"],
        "signing_overhead": results["signing"]["ratio"],
        "sweep_speedup": results["sweep"]["speedup"],
        "rate_limit_efficiency": results["rate_limit"]["efficiency"],
        "rate_limit_failures": results["rate_limit"]["failed_operations"],
        "failures": failures,
    }
    return {**headline, **results, "targets": report.check_targets(headline)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and volumes (a smoke run; not for RESULTS)")
    parser.add_argument("--out", default=str(BENCH), help="where to write results.json and RESULTS.md")
    parser.add_argument("--report-only", action="store_true", help="rewrite RESULTS.md from results.json")
    args = parser.parse_args(argv)
    out = os.path.abspath(args.out)
    if args.report_only:
        with open(os.path.join(out, "results.json")) as handle:
            results = json.load(handle)
        with open(os.path.join(out, "RESULTS.md"), "w") as handle:
            handle.write(report.markdown(results))
        return 0
    if not SDK.fdk.exists():
        print(f"missing {SDK.fdk}: run `make bench` (it creates bench/.venv-sdk)", file=sys.stderr)
        return 2
    plan = QUICK if args.quick else Plan()
    results = measure(plan)
    results["plan"] = {**plan.__dict__, "quick": args.quick}
    with open(os.path.join(out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=2, sort_keys=False)
        handle.write("\n")
    with open(os.path.join(out, "RESULTS.md"), "w") as handle:
        handle.write(report.markdown(results))
    log(f"wrote {out}/results.json and RESULTS.md in {results['bench_seconds']:.0f} s; failures: {results['failures']}")
    for name, target in results["targets"].items():
        log(f"  {name}: {target['value']:.3g} (target {target['target']}) {'met' if target['met'] else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
