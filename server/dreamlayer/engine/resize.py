"""Resampling between the picture's size and the octaves the network sees."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of a (N, C, H, W) batch, antialiased when shrinking so no octave aliases."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    shrinking = size[0] < image.shape[-2] or size[1] < image.shape[-1]
    return F.interpolate(image, size=size, mode="bilinear", align_corners=False, antialias=shrinking)


def octave_sizes(work: tuple[int, int], octaves: int, octave_scale: float, min_side: int) -> list[tuple[int, int]]:
    """Sizes from the smallest octave up to ``work``; octaves smaller than the layer needs are dropped."""
    sizes = []
    for k in range(octaves):
        factor = octave_scale ** (octaves - 1 - k)
        size = (max(1, round(work[0] / factor)), max(1, round(work[1] / factor)))
        if min(size) >= min_side or k == octaves - 1:
            sizes.append(size)
    return sizes


def work_size(height: int, width: int, scale: float, min_side: int) -> tuple[int, int]:
    """The size at which the network sees the picture: its size divided by the feature scale, never below ``min_side``."""
    h, w = height / scale, width / scale
    grow = max(1.0, min_side / min(h, w))
    return max(min_side, round(h * grow)), max(min_side, round(w * grow))
