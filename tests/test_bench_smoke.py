"""The benchmark script, run for real at a tiny size: every figure is there and positive.

No assertion on any time: the figures depend on the machine and on what else it runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO

from onrecord import bench


def test_a_tiny_benchmark_run_writes_every_figure(tmp_path: Path):
    out = tmp_path / "results.json"
    command = [sys.executable, "-m", "onrecord.bench", "--sizes", "200"]
    result = subprocess.run(
        [*command, "--out", str(out), "--work", str(tmp_path / "work")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (figures,) = json.loads(out.read_text(encoding="utf-8"))
    assert set(bench.KEYS) <= set(figures)
    assert figures["n"] == 200
    numbers = {k: v for k, v in figures.items() if isinstance(v, int | float)}
    # Text, and the split `onrecord build` prints (empty should its wording change).
    not_numbers = {"commit", "python", "measured_at", *bench.BUILD_SPLIT}
    assert set(numbers) >= set(bench.KEYS) - not_numbers
    assert all(value > 0 for value in numbers.values()), numbers
    assert figures["files"] > figures["statement_files"]
    assert figures["baseline_files"] >= 200
    assert figures["baseline_hugo_files"] >= 200  # a page per statement, and the lists
    # The table names the size it measured.
    assert "200" in result.stdout


def test_the_query_list_is_fixed_and_200_long():
    plan = bench.synth.plan(1000)
    assert bench.queries(plan) == bench.queries(plan)
    assert len(bench.queries(plan)) == 200


def test_the_listings_are_fixed_searches_without_words():
    plan = bench.synth.plan(1000)
    listings = bench.listing_queries(plan)
    assert listings == bench.listing_queries(plan) and len(listings) == 100
    assert all("q" not in params for params in listings)
    assert {} in [{k: v for k, v in params.items() if k != "page"} for params in listings]


def test_every_figure_is_documented_in_the_bench_readme():
    documented = set(re.findall(r"`(\w+)`", (REPO / "bench" / "README.md").read_text("utf-8")))
    assert [key for key in bench.KEYS if key not in documented] == []


def test_the_readme_table_is_made_from_the_results_file():
    results = json.loads((REPO / "bench" / "results.json").read_text(encoding="utf-8"))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert bench.with_table(readme, results) == readme, (
        "README.md's Performance table is out of date: python -m onrecord.bench --readme-only"
    )


def test_the_table_shows_what_a_run_measured_and_a_dash_for_what_it_did_not():
    row = dict.fromkeys(bench.KEYS) | {"n": 10_000, "cold_s": 14.44, "commit": "abcdef123"}
    row |= {"baseline_hugo_s": 2.0, "ratio_vs_hugo": 7.22, "peak_rss_mb": 1300.0}
    table = bench.markdown_table([row])
    (line,) = [line for line in table.splitlines() if line.startswith("| 10,000")]
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert cells[:7] == ["10,000", "`abcdef1`", "14.4 s", "-", "-", "2.0 s", "7.2"]
    assert "1.27 GiB" in cells
