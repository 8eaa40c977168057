"""Gradients of big pictures, computed tile by tile so memory stays bounded, or of the whole picture at once.

Tiles are all the same size (stable shapes let kernels be tuned once), overlap, and are blended with weights that
ramp up from their inner edges, because a tile's border pixels see zero padding instead of their neighbours. The dream
loop also shifts the picture randomly before each step, so what seam remains moves and averages out.

The picture is padded at its bottom and right to the layer's grid, or on a GPU to its bucket (buckets.py). The
gradient function is told how much of each patch is picture, and masks the padding out of the objective.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from .buckets import align_up

# gradient_of(patch, (rows, columns) of it that are picture) -> the gradient, shaped as the patch.
GradientFn = Callable[[torch.Tensor, tuple[int, int]], torch.Tensor]
PadFn = Callable[[int], int]


def tile_starts(length: int, tile: int, overlap: int, align: int = 1) -> list[int]:
    """Evenly spaced starts, multiples of ``align``, of tiles covering ``length`` with ``overlap`` or more shared.

    ``length - tile`` must be a multiple of ``align`` (the caller pads), so the last tile ends exactly at the end.
    """
    if length <= tile:
        return [0]
    count = -(-(length - overlap) // (tile - overlap))
    slots = (length - tile) // align
    return [align * (i * slots // (count - 1)) for i in range(count)]


def _ramp(length: int, overlap: int, ramp_start: bool, ramp_end: bool, device: torch.device) -> torch.Tensor:
    weight = torch.ones(length, device=device)
    ramp = (torch.arange(overlap, device=device, dtype=torch.float32) + 0.5) / overlap
    if ramp_start:
        weight[:overlap] = ramp
    if ramp_end:
        weight[-overlap:] = torch.minimum(weight[-overlap:], ramp.flip(0))
    return weight


def tiled_gradient(image: torch.Tensor, gradient_of: GradientFn, tile: int, align: int = 1, pad_side: PadFn | None = None) -> torch.Tensor:
    """The gradient of a (1, 3, H, W) picture, from tiles of at most ``tile`` × ``tile`` pixels.

    A strided network is not shift-invariant: with TF "same" padding its feature grid depends on where a tile
    starts and on the parity of its size at each level. So the picture is padded to a multiple of ``align`` (the
    layer's stride), or to ``pad_side(length)`` where it fits one tile, and tiles start on that grid; then every
    tile, and the untiled picture, see the same grid, and overlapping tiles compute the same texture instead of
    fighting.
    """
    height, width = image.shape[-2:]
    # At least two grid cells, so that tiles can overlap by one (a one-cell tile could not overlap at all).
    tile = max(2 * align, tile - tile % align)
    pad_side = pad_side or (lambda length: align_up(length, align))
    full_h, full_w = (_padded_length(n, tile, align, pad_side) for n in (height, width))
    padded = _pad_to(image, full_h, full_w)
    if full_h <= tile and full_w <= tile:
        return gradient_of(padded, (height, width))[..., :height, :width]
    overlap = max(align, tile // 4)
    total = torch.zeros_like(padded)
    weights = torch.zeros((1, 1, full_h, full_w), device=image.device)
    th, tw = min(tile, full_h), min(tile, full_w)
    for y in tile_starts(full_h, tile, overlap, align):
        wy = _ramp(th, overlap, y > 0, y + th < full_h, image.device)
        for x in tile_starts(full_w, tile, overlap, align):
            wx = _ramp(tw, overlap, x > 0, x + tw < full_w, image.device)
            weight = wy[:, None] * wx[None, :]
            valid = (min(th, height - y), min(tw, width - x))
            total[..., y : y + th, x : x + tw] += gradient_of(padded[..., y : y + th, x : x + tw], valid) * weight
            weights[..., y : y + th, x : x + tw] += weight
    return (total / weights)[..., :height, :width]


def _padded_length(length: int, tile: int, align: int, pad_side: PadFn) -> int:
    """Within one tile, the picture's side padded as asked; across tiles, only to the grid (tiles fix the shape)."""
    aligned = align_up(length, align)
    return aligned if aligned > tile else max(aligned, pad_side(length))


def _pad_to(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Extend the bottom and right edges to (height, width), mirroring the picture where it is large enough.

    What the padding holds only matters as context for the feature pixels next to it (its own are masked out of
    the objective); a mirror continues the picture's texture, where a repeated border row would draw streaks.
    """
    pad_h, pad_w = height - image.shape[-2], width - image.shape[-1]
    if not (pad_h or pad_w):
        return image
    mode = "reflect" if pad_h < image.shape[-2] and pad_w < image.shape[-1] else "replicate"
    return F.pad(image, (0, pad_w, 0, pad_h), mode=mode)
