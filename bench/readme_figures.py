"""The README's performance figures, each tied to the ``bench/results.json`` value it shows.

A figure is written ``<!--bench:NAME-->VALUE<!--/bench-->`` (the comments do not render): ``NAME``
is one of ``FIGURES``, ``VALUE`` the figure rendered from ``results.json``. ``make bench`` rewrites
the values (``update``); ``tests/test_readme_figures.py`` fails when one differs from the committed
results (``mismatches``) or when the README's prose shows a performance figure that is not marked
(``unmarked``): a number with MB, GB, MiB, ms, µs, "x" or seconds after it, outside code blocks and
tables (the README's tables hold settings and OCI's documented limits, not measurements).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARK = re.compile(r"<!--bench:(?P<name>[a-z0-9_]+)-->(?P<value>.*?)<!--/bench-->", re.S)
PERFORMANCE_FIGURE = re.compile(
    r"(?<![\w.])~?\d[\d,]*(?:\.\d+)?\s*(?:MB|GB|MiB|ms|µs|x|s|seconds)(?![\w/])"
    r"|(?<![\w.])~?\d[\d,]*(?:\.\d+)?x(?![\w/])"
)
CODE_BLOCK = re.compile(r"```.*?```", re.S)


@dataclass(frozen=True)
class Figure:
    value: Callable[[dict[str, Any]], float]
    format: str  # a format spec: "{:.2f}"

    def render(self, results: dict[str, Any]) -> str:
        return self.format.format(self.value(results))


def headline_cell(r: dict[str, Any]) -> dict[str, Any]:
    """The grid cell ``sweep_speedup`` reports: the default concurrency, no limit, the lowest latency."""
    unlimited = [c for c in r["sweep_grid"] if not c["limit_per_second"]]
    latency = min(c["latency_ms"] for c in unlimited)
    concurrency = min(c["concurrency"] for c in unlimited)
    return next(c for c in unlimited if c["latency_ms"] == latency and c["concurrency"] == concurrency)


def _limited(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in r["sweep_grid"] if c["limit_per_second"]]


FIGURES: dict[str, Figure] = {
    "cold_product_s": Figure(lambda r: r["cold_start"]["product_seconds"], "{:.3f}"),
    "cold_sdk_s": Figure(lambda r: r["cold_start"]["sdk_seconds"], "{:.3f}"),
    "cold_ratio": Figure(lambda r: r["cold_start_ratio"], "{:.2f}"),
    "cold_vs_stack_floor": Figure(lambda r: r["cold_start_vs_stack_floor"], "{:.2f}"),
    "footprint_product_mb": Figure(lambda r: r["footprint"]["product_mb"], "{:.0f}"),
    "footprint_sdk_mb": Figure(lambda r: r["footprint"]["sdk_mb"], "{:.0f}"),
    "rss_product_mb": Figure(lambda r: r["peak_rss"]["product_mb"], "{:.0f}"),
    "rss_sdk_mb": Figure(lambda r: r["peak_rss"]["sdk_mb"], "{:.0f}"),
    "grid_volumes": Figure(lambda r: r["plan"]["grid_volumes"], "{:,}"),
    "grid_cells": Figure(lambda r: len(r["sweep_grid"]), "{}"),
    "grid_cells_no_worse": Figure(lambda r: sum(c["no_worse"] for c in r["sweep_grid"]), "{}"),
    "sweep_concurrency": Figure(lambda r: headline_cell(r)["concurrency"], "{}"),
    "sweep_latency_ms": Figure(lambda r: headline_cell(r)["latency_ms"], "{}"),
    "sweep_product_s": Figure(lambda r: headline_cell(r)["product_seconds"], "{:.1f}"),
    "sweep_sdk_s": Figure(lambda r: headline_cell(r)["sdk_seconds"], "{:.1f}"),
    "limit_share_min": Figure(lambda r: min(c["product_share_of_limit"] for c in _limited(r)), "{:.2f}"),
    "limit_sdk_share_min": Figure(lambda r: min(c["sdk_share_of_limit"] for c in _limited(r)), "{:.2f}"),
    "limit_product_lost": Figure(lambda r: sum(c["product_lost"] for c in _limited(r)), "{}"),
    "limit_sdk_lost": Figure(lambda r: sum(c["sdk_lost"] for c in _limited(r)), "{}"),
    "sweep_vs_floor_max": Figure(lambda r: r["sweep_vs_floor_max"], "{:.2f}"),
    "scale_volumes": Figure(lambda r: r["scale"]["volumes"], "{:,}"),
    "scale_backups": Figure(lambda r: r["scale"]["backups"], "{:,}"),
    "scale_runs": Figure(lambda r: r["scale"]["runs"], "{}"),
    "scale_sweep_rss_mb": Figure(lambda r: r["scale"]["peak_rss_mb"]["create_sweep"], "{:.0f}"),
    "scale_posture_rss_mb": Figure(lambda r: r["scale"]["peak_rss_mb"]["posture_request"], "{:.0f}"),
    "scale_reconcile_rss_mb": Figure(lambda r: r["scale"]["peak_rss_mb"]["copy_reconcile"], "{:.0f}"),
    "scale_backed_up": Figure(lambda r: r["scale"]["volumes_backed_up"], "{:,}"),
    "scale_chain_vs_floor": Figure(lambda r: r["scale"]["chain_vs_floor"], "{:.2f}"),
}


def mismatches(readme: str, results: dict[str, Any]) -> list[str]:
    """Marked figures whose value is not what ``results`` gives (or whose name is unknown)."""
    problems = []
    for mark in MARK.finditer(readme):
        name, shown = mark["name"], mark["value"]
        figure = FIGURES.get(name)
        if figure is None:
            problems.append(f"unknown figure {name!r} (shown as {shown!r})")
        elif shown != figure.render(results):
            problems.append(f"{name}: README shows {shown!r}, results.json gives {figure.render(results)!r}")
    return problems


def unmarked(readme: str) -> list[str]:
    """Performance-looking figures in the prose: outside the marks, code blocks and tables."""
    text = MARK.sub("", CODE_BLOCK.sub("", readme))
    prose = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("|"))
    return [match.group(0) for match in PERFORMANCE_FIGURE.finditer(prose)]


def update(path: Path, results: dict[str, Any]) -> int:
    """Rewrite every marked figure from ``results``; returns how many changed."""
    readme = path.read_text()
    changed = 0

    def render(mark: re.Match[str]) -> str:
        nonlocal changed
        figure = FIGURES.get(mark["name"])
        if figure is None:
            return mark.group(0)
        value = figure.render(results)
        changed += value != mark["value"]
        return f"<!--bench:{mark['name']}-->{value}<!--/bench-->"

    updated = MARK.sub(render, readme)
    if changed:
        path.write_text(updated)
    return changed
