"""Time and peak memory of a default dream at 512², 1024² and 2048² on the current device.

Two rows per size: the default (feature scale derived from the size, so the network always sees ~1024 pixels),
and ``--scale 1`` (the network sees every pixel, as a straightforward port would). The figures are data for
comparing versions on the same machine, not a timed test; append them to bench/RESULTS.md with date and commit.

    python bench/bench_dream.py [--device auto] [--sizes 512 1024 2048] [--repeats 1]
"""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from dreamlayer.engine import dream, load_model, pick_device
from dreamlayer.presets import preset_params

CAT = Path(__file__).resolve().parents[1] / "examples" / "chelsea.png"


class PeakRss:
    """Samples this process's resident memory every 5 ms; CPU peak memory without extra dependencies."""

    def __enter__(self):
        self.peak, self._stop = self._rss(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._rss())

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096


def run_one(net, size: int, scale: float | None, device: torch.device) -> tuple[float, float]:
    picture = np.asarray(Image.open(CAT).convert("RGB").resize((size, size), Image.BICUBIC), np.float32) / 255
    params = preset_params("classic").replace(seed=0, scale=scale)
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    with PeakRss() as rss:
        start = time.perf_counter()
        dream(net, picture, params)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() if device.type == "cuda" else rss.peak
    return seconds, peak / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    device = pick_device(args.device)
    net = load_model("lite0", device)
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"date {datetime.date.today()}  device {name}  torch {torch.__version__}  commit {commit or '?'}")
    print("| image | feature scale | time (s) | peak memory (GiB) |")
    print("|---|---|---|---|")
    for size in args.sizes:
        for scale in (None, 1.0):
            results = [run_one(net, size, scale, device) for _ in range(args.repeats)]
            seconds = min(r[0] for r in results)
            peak = max(r[1] for r in results)
            label = "auto (%.2g)" % max(size / 1024, 0.5) if scale is None else "1"
            print(f"| {size}² | {label} | {seconds:.2f} | {peak:.2f} |", flush=True)


if __name__ == "__main__":
    main()
