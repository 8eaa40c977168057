"""How a dream uses its device: buckets, tile or whole picture, CUDA graphs, bands. Pure decisions, no tensors.

Everything here is a function of numbers (sizes, bytes, the device's kind), so it is tested on the CPU; the
engine measures those numbers (devices.free_memory, footprint.activation_bytes_per_pixel) and acts on the plan.

- A GPU ("accelerator") works on buckets (buckets.py) and sees the whole picture as one tile when its
  activations fit the memory budget; only beyond that does it cut tiles, the largest that fit.
- The full-resolution picture stays in host memory on a GPU: it is shrunk to the network's view and the dream's
  detail is enlarged back and blended in bands of rows (residency.py), so a 16384² picture needs no more device
  memory than a 1024² one.
- The CPU keeps what paid there (bench/RESULTS.md): 1024² tiles, shapes only aligned, the picture in one piece.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import isqrt

from .buckets import align_up, bucket_floor, padded_side

# The largest square the network sees at once on the CPU, and on a GPU when the artist or the OOM retry asks for
# tiles without a size. Lite0 keeps roughly 1 GiB of fp32 activations for a 1024² tile up to block 10.
DEFAULT_TILE = 1024
# Tiles smaller than this spend more on their overlap than they save in memory.
SMALLEST_TILE = 256
# Without a cap and without a way to ask the card (an accelerator that is not CUDA), assume this much.
DEFAULT_BUDGET = 4 * 2**30
# Of the card's free memory, the share a dream may plan for: cuDNN workspaces and fragmentation take the rest.
FREE_SHARE = 0.85
# The activations kept for the backward pass are measured (footprint.py); the backward's transients add this share.
ACTIVATION_MARGIN = 1.25
# The network's view as images (picture, base, detail, gradient, rolled and padded copies), float32 RGB.
WORK_IMAGE_BYTES = 8 * 3 * 4
# A band of full-resolution rows holds the original, the enlarged detail, the result and temporaries.
BAND_BYTES_PER_PIXEL = 6 * 3 * 4
# CUDA graphs pay where kernel launches dominate; above this many pixels the arithmetic does, and a graph would
# keep its activations' memory reserved for good.
GRAPH_MAX_PIXELS = 2048 * 2048


@dataclass(frozen=True)
class EngineOptions:
    """How the engine may use its device. Defaults suit each device; the server passes its own."""

    memory_budget: int | None = None  # bytes a dream may plan for on a GPU; None: a share of the card's free memory
    accelerator: bool | None = None  # GPU policy (buckets, whole-picture tiles, bands); None: on for CUDA
    graphs: bool | None = None  # replay each bucket's gradient step as a CUDA graph; None: on for CUDA
    compile_backend: str | None = None  # torch.compile the network with this backend ("inductor"); None: off
    band_bytes: int = 512 * 2**20  # device memory for full-resolution rows at a time, on a GPU


@dataclass(frozen=True)
class Plan:
    accelerator: bool
    bucketed: bool
    align: int  # the deepest layer's stride: tiles and padding stay on its grid
    tile: int
    graphs: bool
    band_rows: int  # full-resolution rows handled at once (the picture's height: all at once)
    compile_backend: str | None = None

    def pad_side(self, length: int) -> int:
        return padded_side(length, self.align, self.bucketed)


def is_accelerator(device_type: str, options: EngineOptions) -> bool:
    return options.accelerator if options.accelerator is not None else device_type == "cuda"


def activation_budget(free_bytes: int | None, cap_bytes: int | None) -> int:
    """The device memory a dream may plan for: a share of what is free, never more than the cap."""
    limits = [cap_bytes] if cap_bytes else []
    if free_bytes is not None:
        limits.append(int(free_bytes * FREE_SHARE))
    return min(limits) if limits else DEFAULT_BUDGET


def bytes_per_work_pixel(activation_bytes_per_pixel: float) -> float:
    return ACTIVATION_MARGIN * activation_bytes_per_pixel + WORK_IMAGE_BYTES


def choose_tile(requested: int, accelerator: bool, padded: tuple[int, int], per_pixel: float, budget: int, align: int) -> int:
    """The tile side: the one asked for; on a GPU the whole picture if it fits the budget, else the largest tile
    that does; on the CPU the default."""
    if requested:
        return requested
    if not accelerator:
        return DEFAULT_TILE
    height, width = padded
    if height * width * per_pixel <= budget:
        return max(height, width)
    # The largest bucket that fits, so that tiles are shapes the GPU has seen before.
    side = bucket_floor(isqrt(int(budget / per_pixel)))
    return max(align_up(SMALLEST_TILE, align), side - side % align)


def band_rows(height: int, width: int, band_bytes: int, accelerator: bool) -> int:
    """Full-resolution rows per band: all of them on the CPU, as many as ``band_bytes`` allows on a GPU."""
    if not accelerator:
        return height
    return max(1, min(height, band_bytes // (width * BAND_BYTES_PER_PIXEL)))


def use_graphs(option: bool | None, device_type: str, graphs_available: bool) -> bool:
    """CUDA graphs: on CUDA by default, where torch has them (steps.py keeps picture-dependent objectives eager)."""
    wanted = option if option is not None else device_type == "cuda"
    return bool(wanted and graphs_available)


def graph_eligible(shape: tuple[int, ...]) -> bool:
    return shape[-2] * shape[-1] <= GRAPH_MAX_PIXELS
