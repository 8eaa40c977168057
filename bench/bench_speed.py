"""The engine against a straightforward PyTorch port of the 2015 DeepDream algorithm, side by side in one run.

Both use EfficientNet-Lite0 with the embedded weights, block 10, 4 octaves at 1.4, 10 steps each, jitter 32,
step 1.5 levels, on the same picture at the same resolution (the engine with --scale 1, so the network sees every
pixel, as the reference does). The table gives time, peak memory, objective gain (block-10 energy of the output
over the input) and each one's ratio to the reference. Run it on the CPU here, and on a GPU when there is one.

    python bench/bench_speed.py [--sizes 512] [--repeats 3] [--device auto]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CAT, PeakRss, header  # noqa: E402

from dreamlayer.engine import dream, load_model, pick_device  # noqa: E402
from dreamlayer.engine.efficientnet_lite import EfficientNetLite0  # noqa: E402
from dreamlayer.catalog import MODELS  # noqa: E402
from dreamlayer.params import DreamParams  # noqa: E402

SETTINGS = {"octaves": 4, "octave_scale": 1.4, "steps": 10, "jitter": 32, "step_size": 1.5}


def plain_lite0(device: torch.device) -> torch.nn.Module:
    """Lite0 as a straightforward port would hold it: batch norms unfolded, PyTorch's default memory layout."""
    net = EfficientNetLite0()
    net.load_state_dict(torch.load(MODELS["lite0"].weights_path(), map_location="cpu", weights_only=True))
    return net.eval().requires_grad_(False).to(device)


def reference_dream(net: torch.nn.Module, image: torch.Tensor, seed: int, steps: int = SETTINGS["steps"]) -> torch.Tensor:
    """google/deepdream's loop, ported plainly: whole-network forward with a hook, no tiles, no early exit."""
    module = net.get_submodule("_blocks.10")
    captured = {}
    hook = module.register_forward_hook(lambda _m, _i, output: captured.__setitem__("a", output))
    generator = np.random.default_rng(seed)
    try:
        octaves = [image]
        for _ in range(SETTINGS["octaves"] - 1):
            h, w = octaves[-1].shape[-2:]
            octaves.append(F.interpolate(octaves[-1], size=(round(h / 1.4), round(w / 1.4)), mode="bilinear", align_corners=False))
        detail = torch.zeros_like(octaves[-1])
        for base in reversed(octaves):
            detail = F.interpolate(detail, size=base.shape[-2:], mode="bilinear", align_corners=False)
            x = base + detail
            for _ in range(steps):
                oy, ox = generator.integers(-32, 33, 2)
                x = torch.roll(x, (int(oy), int(ox)), (2, 3)).detach().requires_grad_(True)
                net((x - 0.5) / 0.5)
                (0.5 * captured["a"].pow(2).sum()).backward()
                g = x.grad
                x = (x + g * (1.5 / 255) / g.abs().mean()).detach()
                x = torch.roll(x, (-int(oy), -int(ox)), (2, 3)).clamp(0, 1)
            detail = x - base
        return (octaves[0] + detail).clamp(0, 1)
    finally:
        hook.remove()


def energy(net, image: torch.Tensor) -> float:
    with torch.no_grad():
        return float(net.features(image, ["block10"])["block10"].float().pow(2).mean())


def measure(run, device: torch.device) -> tuple[float, float, torch.Tensor]:
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    with PeakRss() as rss:
        start = time.perf_counter()
        out = run()
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() if device.type == "cuda" else rss.peak
    return seconds, peak / 2**30, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = pick_device(args.device)
    net, plain = load_model("lite0", device), plain_lite0(device)
    print(header(device))
    print("| image | variant | time (s), best of runs | peak memory (GiB) | objective gain, mean of runs | time vs reference | gain vs reference |")
    print("|---|---|---|---|---|---|---|")
    variants = {"reference (2015 port)": None, "engine fp32": "fp32", "engine bf16": "bf16"}
    for size in args.sizes:
        picture = torch.from_numpy(np.asarray(Image.open(CAT).convert("RGB").resize((size, size), Image.BICUBIC), np.float32) / 255)
        batch = picture.permute(2, 0, 1)[None].contiguous().to(device)
        base_energy = energy(net, batch)
        rows = {}
        for label, precision in variants.items():
            def run(seed: int, precision=precision):
                if precision is None:
                    return reference_dream(plain, batch, seed)
                return dream(net, batch[0], DreamParams(**SETTINGS, scale=1.0, seed=seed, precision=precision))[None]

            # A different seed each run: the gain of one dream swings by several percent with the jitter.
            results = [measure(lambda seed=seed: run(seed), device) for seed in range(args.repeats)]
            seconds = min(r[0] for r in results)
            peak = max(r[1] for r in results)
            gain = sum(energy(net, r[2].float()) for r in results) / len(results) / base_energy
            rows[label] = (seconds, peak, gain)
        ref_seconds, _, ref_gain = rows["reference (2015 port)"]
        for label, (seconds, peak, gain) in rows.items():
            print(f"| {size}² | {label} | {seconds:.2f} | {peak:.2f} | {gain:.2f} | {seconds / ref_seconds:.2f} | {gain / ref_gain:.2f} |", flush=True)


if __name__ == "__main__":
    main()
