"""Zoom speed: frames per second of `dreamlayer zoom --noise SIZE` with the classic preset, 5 steps a frame.

The first frame of each size is left out (it pays one-time kernel set-up). Also one-octave frames at the
same size, the cheap setting for previews. Data for comparing versions, not a timed test.

    python bench/bench_zoom.py [--sizes 512 1024] [--frames 6]
"""

from __future__ import annotations

import argparse
import time

from common import header

from dreamlayer.engine import load_model, pick_device
from dreamlayer.engine.zoom import noise_picture, zoom_frames
from dreamlayer.params import ZoomSettings
from dreamlayer.params import preset_params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = pick_device(args.device)
    net = load_model("lite0", device)
    print(header(device))
    print("| frame | octaves per frame | seconds per frame | frames per second |")
    print("|---|---|---|---|")
    for size in args.sizes:
        for octaves in (4, 1):
            params = preset_params("classic").replace(seed=0, octaves=octaves)
            settings = ZoomSettings(frames=args.frames + 1, steps_per_frame=5)
            times, last = [], time.perf_counter()
            for _ in zoom_frames(net, noise_picture(size, size, 0), params, settings):
                now = time.perf_counter()
                times.append(now - last)
                last = now
            per_frame = sum(times[1:]) / len(times[1:])
            print(f"| {size}² | {octaves} | {per_frame:.2f} | {1 / per_frame:.2f} |", flush=True)


if __name__ == "__main__":
    main()
