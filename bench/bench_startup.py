"""Whole processes, as a user runs them: `dreamlayer dream` on a photo against the plain 2015 script
(bench/plain_deepdream.py) on the same photo, each from a cold `python` to the written file; and how long a
mistake (a missing input file) takes to be reported.

Both dream at the same resolution: the photo is 1024², and dreamlayer's default feature scale for it is 1, so the
network sees every pixel, as the plain script does. Runs alternate, so the shared machine's load hits both alike.

    python bench/bench_startup.py [--size 1024] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from common import CAT, REPO, header
from PIL import Image


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    run = subprocess.run(argv, capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - start
    if run.returncode not in (0, 2):
        raise SystemExit(f"{argv} failed:\n{run.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        photo = Path(scratch) / "photo.png"
        Image.open(CAT).convert("RGB").resize((args.size, args.size), Image.BICUBIC).save(photo)
        commands = {
            "plain 2015 script": [sys.executable, "bench/plain_deepdream.py", str(photo), f"{scratch}/plain.png"],
            "dreamlayer dream": [sys.executable, "-m", "dreamlayer", "dream", str(photo), f"{scratch}/dream.png", "--seed", "0"],
            "dreamlayer dream, missing input": [sys.executable, "-m", "dreamlayer", "dream", f"{scratch}/missing.png", f"{scratch}/x.png"],
        }
        times: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(args.repeats):
            for label, argv in commands.items():
                times[label].append(timed(argv))
    print(header(torch.device("cpu")))
    print(f"\n| whole process ({args.size}² photo) | runs (s) | median (s) | vs the plain script |")
    print("|---|---|---|---|")
    reference = statistics.median(times["plain 2015 script"])
    for label, values in times.items():
        median = statistics.median(values)
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {label} | {runs} | {median:.2f} | {median / reference:.2f} |")


if __name__ == "__main__":
    main()
