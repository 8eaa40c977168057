"""Work sizes rounded up to a few buckets, so that a GPU sees few distinct shapes.

On a GPU every new input shape costs: cuDNN picks kernels for it, a CUDA graph is captured for it, a compiled
kernel is built for it. Pictures come in any size, so each side of the network's view is rounded up to the next
bucket: a number of the form m·2^k with 8 ≤ m < 16, which is at most 12.5 % more than the side (and on average
about 6 %). Between 512 and 1024 the buckets are 512, 576, 640, … 960, 1024: eight per doubling. The dream pads
the picture to its bucket, masks the padding's features out of the objective and crops the gradient back, so the
padding never shows (render.py, steps.py).

The CPU gains nothing from repeated shapes (oneDNN needs no per-shape tuning) and pays for every padded pixel, so
there sizes are only aligned to the layer's stride, as the tiles need.
"""

from __future__ import annotations

from collections.abc import Iterable

# Buckets per doubling (a power of two): more means less padding but more shapes to warm up.
STEPS_PER_DOUBLING = 8


def align_up(length: int, align: int) -> int:
    """The smallest multiple of ``align`` that is at least ``length``."""
    return -(-length // align) * align


def bucket_side(length: int, align: int = 1) -> int:
    """The smallest m·2^k ≥ ``length`` with 8 ≤ m < 16, then rounded up to a multiple of ``align``."""
    length = max(1, length)
    # Keep the top four bits of length - 1 (so 8 ≤ m < 16) and round up: 731 -> 768, 522 -> 576, 1025 -> 1152.
    shift = max(0, (length - 1).bit_length() - STEPS_PER_DOUBLING.bit_length())
    return align_up(-(-length >> shift) << shift, align)


def bucket_floor(length: int) -> int:
    """The largest m·2^k ≤ ``length`` with 8 ≤ m < 16 (for a tile that must fit a budget)."""
    shift = max(0, max(1, length).bit_length() - STEPS_PER_DOUBLING.bit_length())
    return max(1, length) >> shift << shift


def padded_side(length: int, align: int, bucketed: bool) -> int:
    """The side a picture of ``length`` pixels is padded to: its bucket, or only the next multiple of ``align``."""
    return bucket_side(length, align) if bucketed else align_up(length, align)


def bucket_shapes(shapes: Iterable[tuple[int, int]], align: int) -> list[tuple[int, int]]:
    """The distinct buckets that (height, width) shapes fall into, in first-seen order."""
    return list(dict.fromkeys((bucket_side(h, align), bucket_side(w, align)) for h, w in shapes))
