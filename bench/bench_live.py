"""Live Dream's latency in real Krita: from the end of a stroke to the live layer showing its live dream.

Starts the real server in this process, then Krita 5 under Xvfb with the plugin installed as a user installs it;
inside, tests/krita/live_bench_cases.py turns Live on with the docker's switch and paints strokes by script on a
canvas of each size (the docker's default settings: the classic preset, a random seed, so the lane's own). After
the strokes, Live stays on with nothing painted for a few seconds: the CPU Krita and the server use meanwhile is
what Live costs while the artist thinks.

    python bench/bench_live.py [--sizes 1024,2048] [--strokes 20]
    python bench/bench_live.py --quick      # one 1024² canvas, 3 strokes: what the test suite runs
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.editors import case_result  # noqa: E402
from tests.live_server import start_server  # noqa: E402
from tests.test_krita import run_krita  # noqa: E402


class CpuClock:
    """This process's CPU seconds (every thread's: the server's), sampled with the wall clock, to read what it used
    in a window of time another process reports."""

    def __init__(self, every: float = 0.1):
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            times = os.times()
            self.samples.append((time.time(), times.user + times.system))

    def share_of_a_core(self, start: float, end: float) -> float:
        inside = [(wall, cpu) for wall, cpu in self.samples if start <= wall <= end]
        if len(inside) < 2:
            return float("nan")
        (wall0, cpu0), (wall1, cpu1) = inside[0], inside[-1]
        return (cpu1 - cpu0) / (wall1 - wall0)

    def stop(self) -> None:
        self._stop.set()


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def measure(sizes: list[int], strokes: int) -> dict:
    """Each size's latencies and counts, as the Krita case reports them, with the server's CPU while idle."""
    live = start_server({"MAX_PIXELS": max(sizes) ** 2})
    clock = CpuClock()
    try:
        env = {"DREAMLAYER_TEST_SERVER": live.url, "DREAMLAYER_BENCH_SIZES": ",".join(map(str, sizes)),
               "DREAMLAYER_BENCH_STROKES": str(strokes)}
        results = run_krita(None, "live_bench", env, {"server_mode": "url", "server_url": live.url}, "exit")
    finally:
        clock.stop()
        live.stop()
    measured = case_result(results, "strokes")
    for row in measured["sizes"].values():
        row["server_cpu_idle"] = round(clock.share_of_a_core(*row["idle_window"]), 4)
    return measured


def table(measured: dict) -> str:
    lines = ["| canvas | strokes | median (s) | p95 (s) | live dreams made | superseded | unchanged | strokes missed | "
             "server CPU, idle | Krita CPU, idle |", "|---|---|---|---|---|---|---|---|---|---|"]
    for size, row in measured["sizes"].items():
        latencies = [t for t in row["latencies"] if t is not None]
        median = statistics.median(latencies) if latencies else float("nan")
        p95 = nearest_rank(latencies, 0.95) if latencies else float("nan")
        server = row["server"]
        lines.append(f"| {size}² | {len(row['latencies']) + row['missed']} | {median:.2f} | {p95:.2f} | "
                     f"{server['dreamed']} | {server['superseded']} | {server['unchanged']} | {row['missed']} | "
                     f"{row['server_cpu_idle']:.1%} | {row['krita_cpu_idle']:.1%} |")
        burst, server = row["burst"], row["burst"]["server"]
        lines.append(f"| {size}², a stroke every {burst['apart']} s | {burst['strokes']} | last: {burst['latency']:.2f} | | "
                     f"{server['dreamed']} | {server['superseded']} | {server['unchanged']} | | | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1024,2048", help="canvas sides, comma-separated")
    parser.add_argument("--strokes", type=int, default=20, help="strokes on each canvas")
    parser.add_argument("--quick", action="store_true", help="one 1024² canvas, 3 strokes")
    args = parser.parse_args()
    sizes, strokes = ([1024], 3) if args.quick else ([int(s) for s in args.sizes.split(",")], args.strokes)
    measured = measure(sizes, strokes)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    print(f"date {datetime.date.today()}  Krita 5, server on this machine's CPU ({os.cpu_count()} cores)  commit {commit}")
    print(table(measured))


if __name__ == "__main__":
    main()
