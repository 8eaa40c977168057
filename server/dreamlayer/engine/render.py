"""The DeepDream loop: octaves with detail re-injection, jittered and normalised gradient ascent.

The network sees the picture at its size divided by the feature scale (the "work" size), so the look does not depend
on resolution. The dream is built up from the smallest octave; after each octave, the detail it added is carried up
to the next. At the end only the added detail is enlarged back to the picture's size and added to the untouched
original, so a big picture keeps its own sharpness.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from ..errors import Cancelled
from ..params import DreamParams, parse_layers
from .color import keep_colors
from .devices import DEFAULT_TILE, autocast
from .gradients import laplacian_normalize, normalized_step
from .masks import soften_edges
from ..catalog import get_model
from .models import DreamNet
from .objectives import Objective, build_objective
from .resize import octave_sizes, resize, work_size
from .tiling import tiled_gradient


class Progress(NamedTuple):
    step: int  # steps done, over all octaves
    total: int
    octave: int  # 1-based
    octaves: int


ProgressFn = Callable[[Progress], None]
PreviewFn = Callable[[int, torch.Tensor], None]  # octave (1-based) and the picture so far, (3, h, w) in 0..1


def dream(
    net: DreamNet,
    image: torch.Tensor | np.ndarray,
    params: DreamParams,
    *,
    mask: torch.Tensor | np.ndarray | None = None,
    guide: torch.Tensor | np.ndarray | None = None,
    progress: ProgressFn | None = None,
    preview: PreviewFn | None = None,
    cancelled: Callable[[], bool] | None = None,
    mask_open_sides: tuple[bool, bool, bool, bool] = (True, True, True, True),
) -> torch.Tensor | np.ndarray:
    """Dream on an RGB picture in 0..1, shaped (3, H, W) or (H, W, 3) for numpy; returns the same type and shape.

    ``mask`` is an (H, W) float map in 0..1: the dream acts where it is 1, fades where it is between, and leaves
    the picture exactly as it was where it is 0; a hard-edged mask is softened by ``params.edge_softness`` pixels
    inside its edge, except along ``mask_open_sides`` (top, bottom, left, right), the picture's sides that are the
    document's edge. ``guide`` is a picture whose features the dream reaches for.
    ``params`` should be ``resolved()`` so that the seed and scale are recorded; unresolved ones are filled here.
    """
    as_numpy = isinstance(image, np.ndarray)
    original = _to_batch(image, net.device)
    height, width = original.shape[-2:]
    params = params.resolved(width, height)
    mask_t = None if mask is None else soften_edges(_to_batch(mask, net.device, channels=1), params.edge_softness or 0, mask_open_sides)
    guide_t = None if guide is None else _to_batch(guide, net.device)

    objective = build_objective(net, params, original, guide_t)
    sizes = octave_plan(params, width, height)
    tile = params.tile or DEFAULT_TILE
    rng = random.Random(params.seed)

    base = resize(original, sizes[-1])
    detail = torch.zeros_like(resize(base, sizes[0]))
    total = len(sizes) * params.steps
    for k, size in enumerate(sizes):
        octave_base = resize(base, size)
        octave_mask = None if mask_t is None else resize(mask_t, size)
        x = (octave_base + resize(detail, size)).clamp(0, 1)
        for step in range(params.steps):
            if cancelled is not None and cancelled():
                raise Cancelled("The dream was cancelled.")
            x = _ascend(net, x, objective, params, octave_mask, tile, rng)
            if progress is not None:
                progress(Progress(k * params.steps + step + 1, total, k + 1, len(sizes)))
        detail = x - octave_base
        if preview is not None:
            preview(k + 1, x[0].detach())

    result = (original + resize(detail, (height, width))).clamp(0, 1)
    if params.preserve_colors:
        result = keep_colors(original, result)
    if mask_t is not None:
        result = original + mask_t * (result - original)
    return _from_batch(result, as_numpy)


def octave_plan(params: DreamParams, width: int, height: int) -> list[tuple[int, int]]:
    """The (height, width) of each octave a dream runs through, smallest first; needs no weights."""
    spec = get_model(params.model)
    layers = [name for name, _ in parse_layers(params.layer)] or [spec.default_layer]
    min_side = max(spec.layers[name].min_size for name in layers)
    return octave_sizes(work_size(height, width, params.scale, min_side), params.octaves, params.octave_scale, min_side)


def _ascend(
    net: DreamNet, x: torch.Tensor, objective: Objective, params: DreamParams,
    mask: torch.Tensor | None, tile: int, rng: random.Random,
) -> torch.Tensor:
    """One jittered, normalised gradient-ascent step."""
    dy, dx = rng.randint(-params.jitter, params.jitter), rng.randint(-params.jitter, params.jitter)

    def gradient_of(patch: torch.Tensor) -> torch.Tensor:
        patch = patch.detach().requires_grad_(True)
        with autocast(net.device, params.precision):
            energy = objective(net.features(patch, objective.layers))
        (grad,) = torch.autograd.grad(energy, patch)
        return grad

    rolled = torch.roll(x, (dy, dx), dims=(-2, -1))
    align = max(net.layer_info(layer).stride for layer in objective.layers)
    grad = torch.roll(tiled_gradient(rolled, gradient_of, tile, align), (-dy, -dx), dims=(-2, -1))
    if params.laplacian:
        grad = laplacian_normalize(grad, params.laplacian)
    if params.preserve_colors:
        # Move along grey only: brightness changes, hue and saturation stay.
        grad = grad.mean(dim=1, keepdim=True).expand_as(grad)
    return (x + normalized_step(grad, mask, params.step_size)).clamp(0, 1)


def _to_batch(image: torch.Tensor | np.ndarray, device: torch.device, channels: int = 3) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(image)) if isinstance(image, np.ndarray) else image
    t = t.to(device=device, dtype=torch.float32)
    if t.dim() == 2:
        t = t[None]
    if isinstance(image, np.ndarray) and t.shape[-1] in (1, 3) and t.dim() == 3 and channels == 3:
        t = t.permute(2, 0, 1)
    return t[None] if t.dim() == 3 else t


def _from_batch(batch: torch.Tensor, as_numpy: bool) -> torch.Tensor | np.ndarray:
    image = batch[0].detach()
    return image.permute(1, 2, 0).cpu().numpy() if as_numpy else image
