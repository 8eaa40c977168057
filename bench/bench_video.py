"""Video speed: frames per second of dreaming a moving picture (a slow pan across the shipped cat photo), the
classic preset with the video defaults (5 iterations per scale for each frame after the first, carried along the
optical flow). The first frame gets a whole dream and is left out; the flow's own share is timed apart.

    python bench/bench_video.py [--sizes 512] [--frames 6] [--device auto]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from common import CAT, header
from PIL import Image

from dreamlayer.engine import load_model, pick_device
from dreamlayer.engine.animate import FrameDreamer
from dreamlayer.engine.flow import backward_flow
from dreamlayer.params.resolved import resolve_dream
from dreamlayer.params import VideoSettings, preset_params


def pan(size: int, frames: int) -> list[np.ndarray]:
    """A camera sliding 4 pixels a frame across the photo."""
    photo = Image.open(CAT).convert("RGB")
    scale = (size + 4 * frames) / min(photo.size)
    photo = photo.resize((round(photo.width * scale) + 1, round(photo.height * scale) + 1), Image.BICUBIC)
    pixels = np.asarray(photo, np.float32) / 255
    return [np.ascontiguousarray(pixels[:size, 4 * t:4 * t + size]) for t in range(frames)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512])
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = pick_device(args.device)
    net = load_model("lite0", device)
    print(header(device))
    print("\n| frame | first frame (s) | later frames (s each) | frames per second | flow (s each) |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        frames = pan(size, args.frames)
        params = preset_params("classic").replace(seed=0).resolved(size, size)
        dreamer = FrameDreamer(net, params, VideoSettings())
        start = time.perf_counter()
        dreamer(frames[0])
        first = time.perf_counter() - start
        start = time.perf_counter()
        for frame in frames[1:]:
            dreamer(frame)
        later = (time.perf_counter() - start) / (len(frames) - 1)
        work = resolve_dream(params, size, size).octaves[-1]
        tensors = [torch.from_numpy(f).permute(2, 0, 1)[None] for f in frames[:2]]
        start = time.perf_counter()
        for _ in range(5):
            backward_flow(tensors[0], tensors[1], work)
        flow = (time.perf_counter() - start) / 5
        print(f"| {size}² | {first:.2f} | {later:.2f} | {1 / later:.2f} | {flow:.3f} |", flush=True)


if __name__ == "__main__":
    main()
