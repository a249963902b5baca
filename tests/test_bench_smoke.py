"""The benchmark script, run for real at a tiny size: every figure is there and positive.

No assertion on any time: the figures depend on the machine and on what else it runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    # The table names the size it measured.
    assert "200" in result.stdout


def test_the_query_list_is_fixed_and_200_long():
    plan = bench.synth.plan(1000)
    assert bench.queries(plan) == bench.queries(plan)
    assert len(bench.queries(plan)) == 200
