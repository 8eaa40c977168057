"""A straightforward PyTorch port of the 2015 DeepDream loop, as a whole script: the baseline dreamlayer is
measured against (by bench_speed.py inside one process, by bench_startup.py as whole processes).

Lite0 block 10 with the embedded weights as they come (batch norms unfolded, default memory layout), 4 octaves at
1.4, 10 steps, jitter 32, step 1.5 levels normalised by mean |g|; whole-network forward with a hook, no tiles, no
early exit: google/deepdream's loop, ported plainly. Run alone it dreams one picture file:

    python bench/plain_deepdream.py IN.png OUT.png [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from dreamlayer.catalog import MODELS  # noqa: E402
from dreamlayer.engine.efficientnet_lite import EfficientNetLite0  # noqa: E402

SETTINGS = {"octaves": 4, "octave_scale": 1.4, "steps": 10, "jitter": 32, "step_size": 1.5}


def plain_lite0(device: torch.device) -> torch.nn.Module:
    """Lite0 as a straightforward port would hold it: batch norms unfolded, PyTorch's default memory layout."""
    net = EfficientNetLite0()
    net.load_state_dict(torch.load(MODELS["lite0"].weights_path(), map_location="cpu", weights_only=True))
    return net.eval().requires_grad_(False).to(device)


def reference_dream(net: torch.nn.Module, image: torch.Tensor, seed: int, steps: int = SETTINGS["steps"]) -> torch.Tensor:
    """google/deepdream's loop on a (1, 3, H, W) batch in 0..1 (``steps`` per octave: a zoom frame's are fewer)."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description="The plain 2015 DeepDream loop on one picture file.")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    picture = np.asarray(Image.open(args.input).convert("RGB"), np.float32) / 255
    batch = torch.from_numpy(picture).permute(2, 0, 1)[None].contiguous()
    out = reference_dream(plain_lite0(torch.device("cpu")), batch, args.seed)
    Image.fromarray((out[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)).save(args.output)


if __name__ == "__main__":
    main()
