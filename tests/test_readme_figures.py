"""README.md shows only performance figures that come from the committed ``bench/results.json``.

Each figure in the README is marked with the results value it shows (``bench/readme_figures.py``):
the test fails when a marked value differs from what ``results.json`` gives, when a mark names no
known figure, or when the README shows a performance figure (MB, ms, µs, s, "x") without a mark.
``make bench`` rewrites the marked values; nothing is skipped (``results.json`` is committed).
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import readme_figures
from tests.fdk_harness import ROOT

README = (ROOT / "README.md").read_text()
RESULTS = json.loads((ROOT / "bench" / "results.json").read_text())


def test_every_marked_figure_is_the_committed_result() -> None:
    assert readme_figures.MARK.search(README), "the README shows no benchmark figure at all"
    assert readme_figures.mismatches(README, RESULTS) == []


def test_no_performance_figure_without_a_mark() -> None:
    assert readme_figures.unmarked(README) == []


def test_results_are_of_a_full_run() -> None:
    assert RESULTS["plan"]["quick"] is False
    assert RESULTS["sweep_grid"] and "cold_start_vs_stack_floor" in RESULTS


def test_a_changed_figure_is_caught_and_rewritten(tmp_path: Path) -> None:
    name, figure = "cold_ratio", readme_figures.FIGURES["cold_ratio"]
    stale = f"cold start <!--bench:{name}-->9.99<!--/bench--> of the SDK's; 574 MB installed"
    assert readme_figures.mismatches(stale, RESULTS) == [
        f"{name}: README shows '9.99', results.json gives {figure.render(RESULTS)!r}"
    ]
    assert readme_figures.unmarked(stale) == ["574 MB"]
    path = tmp_path / "README.md"
    path.write_text(stale)
    assert readme_figures.update(path, RESULTS) == 1
    assert readme_figures.mismatches(path.read_text(), RESULTS) == []
