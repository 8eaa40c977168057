"""bench/bench_live.py's quick mode, as the test suite runs it: real Krita 5 under Xvfb, Live switched on with the
docker's button, three strokes painted by script on a 1024² canvas and then a burst; every stroke gets its live
dream, nothing fails, and the table prints. It asserts no times: the table's figures go to bench/RESULTS.md."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .editors import require

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_live  # noqa: E402


def test_the_live_bench_s_quick_mode_measures_every_stroke():
    require(shutil.which("krita") is not None and shutil.which("xvfb-run") is not None, "Krita 5 and Xvfb")
    measured = bench_live.measure([1024], 3)
    row = measured["sizes"]["1024"]
    assert row["missed"] == 0 and len(row["latencies"]) == 3 and all(t is not None and t > 0 for t in row["latencies"])
    # The first live dream and at least one per stroke (a stroke slowed by a busy machine may be offered twice).
    assert row["server"]["dreamed"] >= 4 and row["server"]["failed"] == 0
    assert row["burst"]["latency"] > 0 and row["burst"]["server"]["failed"] == 0
    assert 0 <= row["server_cpu_idle"] < 1 and 0 <= row["krita_cpu_idle"]
    table = bench_live.table(measured)
    assert table.count("\n") == 3 and "| 1024² | 3 |" in table
