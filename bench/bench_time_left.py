"""How honest is the time left a running dream reports? A real dream on a real server (waitress, loopback, the
default model), its status read every 50 ms; at 25, 50 and 75% of its steps, the reported ``eta_seconds`` against
the time it really took from there. Prints a table; the test (tests/server/test_job.py) allows ±35%.

    PYTHONPATH=server python bench/bench_time_left.py
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tests.live_server import start_server  # noqa: E402
from tests.server.test_job import follow  # noqa: E402

CASES = [(320, 240, 1), (320, 240, 2), (480, 320, 3), (480, 320, 4), (256, 256, 5), (640, 480, 6)]


def main() -> None:
    live = start_server()
    print("| picture | seed | took | error at 25% | at 50% | at 75% |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    try:
        for width, height, seed in CASES:
            samples, end = follow(live, width, height, seed)
            errors = []
            for quarter in (0.25, 0.5, 0.75):
                asked, _, eta = next(s for s in samples if s[1] >= quarter and s[2] is not None)
                real = end["finished"] - asked
                errors.append((eta - real) / real)
            worst = max(worst, *map(abs, errors))
            cells = " | ".join(f"{e:+.0%}" for e in errors)
            print(f"| {width}×{height} | {seed} | {end['finished'] - end['started']:.1f} s | {cells} |", flush=True)
    finally:
        live.stop()
    print(f"\nworst: {worst:.0%} (the test allows 35%); {time.strftime('%Y-%m-%d')}")


if __name__ == "__main__":
    main()
