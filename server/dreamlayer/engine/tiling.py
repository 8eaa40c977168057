"""Gradients of big pictures, computed tile by tile so memory stays bounded.

Tiles are all the same size (stable shapes let kernels be tuned once), overlap, and are blended with weights that
ramp up from their inner edges, because a tile's border pixels see zero padding instead of their neighbours. The dream
loop also shifts the picture randomly before each step, so what seam remains moves and averages out.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

GradientFn = Callable[[torch.Tensor], torch.Tensor]


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


def tiled_gradient(image: torch.Tensor, gradient_of: GradientFn, tile: int, align: int = 1) -> torch.Tensor:
    """The gradient of a (1, 3, H, W) picture, from tiles of at most ``tile`` × ``tile`` pixels.

    A strided network is not shift-invariant: with TF "same" padding its feature grid depends on where a tile
    starts and on the parity of its size at each level. So the picture is padded to a multiple of ``align`` (the
    layer's stride) and tiles start on that grid; then every tile, and the untiled picture, see the same grid,
    and overlapping tiles compute the same texture instead of fighting.
    """
    height, width = image.shape[-2:]
    padded = _pad_to_multiple(image, align)
    full_h, full_w = padded.shape[-2:]
    tile = max(align, tile - tile % align)
    if full_h <= tile and full_w <= tile:
        return gradient_of(padded)[..., :height, :width]
    overlap = max(align, tile // 4)
    total = torch.zeros_like(padded)
    weights = torch.zeros((1, 1, full_h, full_w), device=image.device)
    th, tw = min(tile, full_h), min(tile, full_w)
    for y in tile_starts(full_h, tile, overlap, align):
        wy = _ramp(th, overlap, y > 0, y + th < full_h, image.device)
        for x in tile_starts(full_w, tile, overlap, align):
            wx = _ramp(tw, overlap, x > 0, x + tw < full_w, image.device)
            weight = wy[:, None] * wx[None, :]
            total[..., y : y + th, x : x + tw] += gradient_of(padded[..., y : y + th, x : x + tw]) * weight
            weights[..., y : y + th, x : x + tw] += weight
    return (total / weights)[..., :height, :width]


def _pad_to_multiple(image: torch.Tensor, align: int) -> torch.Tensor:
    """Extend the bottom and right edges (repeating the border) to a multiple of ``align``."""
    pad_h, pad_w = -image.shape[-2] % align, -image.shape[-1] % align
    if not (pad_h or pad_w):
        return image
    return F.pad(image, (0, pad_w, 0, pad_h), mode="replicate")
