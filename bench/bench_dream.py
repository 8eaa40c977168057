"""Time and peak memory of a default dream at 512², 1024² and 2048² on the current device.

Two rows per size: the default (feature scale derived from the size, so the network always sees ~1024 pixels),
and ``--scale 1`` (the network sees every pixel, as a straightforward port would). The figures are data for
comparing versions on the same machine, not a timed test; append them to bench/RESULTS.md with date and commit.

    python bench/bench_dream.py [--device auto] [--sizes 512 1024 2048] [--repeats 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image

from common import CAT, PeakRss, header

from dreamlayer.engine import dream, load_model, pick_device
from dreamlayer.params import preset_params


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
    print(header(device))
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
