"""A side-by-side look: the same dream under the CPU policy and the GPU policy, for eyes rather than numbers.

Left: the picture dreamed as the CPU does it (sizes only aligned to the layer's grid, 1024² tiles, one piece).
Middle: as a GPU does it (sizes padded to their bucket and masked, the whole picture at once, the full-resolution
picture in bands; on a CUDA device also CUDA graphs). Right: their difference, amplified 4× (gradient ascent is
chaotic, so they differ everywhere in detail, not in kind). Printed: each one's objective gain, and how much the
dream changed the bottom and right 16-pixel bands against the inside (a padding edge would stand out there).

    python bench/look.py [--size 1000x700] [--device auto] [--out look.jpg]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CAT  # noqa: E402
from dreamlayer.engine import dream, load_model, pick_device  # noqa: E402
from dreamlayer.engine.policy import EngineOptions  # noqa: E402
from dreamlayer.params import preset_params  # noqa: E402


def energy(net, rgb: np.ndarray) -> float:
    with torch.no_grad():
        batch = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].to(net.device)
        return float(net.features(batch, ["block10"])["block10"].float().pow(2).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1000x700")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", default="look.jpg")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    net = load_model("lite0", pick_device(args.device))
    rgb = np.asarray(Image.open(CAT).convert("RGB").resize((width, height), Image.BICUBIC), np.float32) / 255
    params = preset_params("classic").replace(seed=0)
    cpu_like = dream(net, rgb, params, options=EngineOptions(accelerator=False, graphs=False))
    gpu_like = dream(net, rgb, params, options=EngineOptions(accelerator=True))
    base = energy(net, rgb)
    print(f"objective gain: CPU policy {energy(net, cpu_like) / base:.3f}, GPU policy {energy(net, gpu_like) / base:.3f}")
    for name, out in (("CPU policy", cpu_like), ("GPU policy", gpu_like)):
        change = np.abs(out - rgb).mean(axis=2)
        inside = change[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4].mean()
        print(f"{name}: change in the bottom band {change[-16:].mean() / inside:.2f}×, right band "
              f"{change[:, -16:].mean() / inside:.2f}× the inside's")
    difference = np.clip(0.5 + 4 * (gpu_like - cpu_like), 0, 1)
    panels = np.concatenate([cpu_like, gpu_like, difference], axis=1)
    Image.fromarray((panels * 255 + 0.5).astype(np.uint8)).save(args.out, quality=90)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
