"""The DeepDream loop: octaves with detail re-injection, jittered and normalised gradient ascent.

The network sees the picture at its size divided by the feature scale (the "work" size), so the look does not depend
on resolution. The dream is built up from the smallest octave; after each octave, the detail it added is carried up
to the next. At the end only the added detail is enlarged back to the picture's size and added to the untouched
original, so a big picture keeps its own sharpness.

How the device is used (buckets, tile or whole picture, CUDA graphs, full-resolution bands) is decided once per
dream by ``plan_dream`` from pure policy functions (policy.py); the loop below only follows the plan.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from ..errors import Cancelled
from ..params import DreamParams
from ..params.resolved import ResolvedDream, resolve_dream
from .buckets import padded_side
from .compiled import compiled_features
from .devices import free_memory, graphs_available
from .footprint import activation_bytes_per_pixel
from .gradients import laplacian_normalize, normalized_step
from .masks import soften_edges
from .models import DreamNet
from .objectives import build_objective
from .ranking import ranking_size
from .policy import (
    EngineOptions,
    Plan,
    activation_budget,
    band_rows,
    bytes_per_work_pixel,
    choose_tile,
    is_accelerator,
    use_graphs,
)
from .residency import Residency, Transfers
from .resize import resize
from .steps import GradientStep, graph_cache
from .tiling import tiled_gradient


class Progress(NamedTuple):
    step: int  # steps done, over all octaves
    total: int
    octave: int  # 1-based
    octaves: int
    work: float = 0.0  # the share of the dream's work done: its steps, each weighted by its octave's pixels


# A step costs about its octave's pixels, plus a part that does not grow with them (on two CPU cores a step of
# 80,000 pixels took 0.63 µs a pixel, one of 300,000 took 0.52). Counting that part as 35,000 pixels kept the time
# left closest to the truth over bench/bench_time_left.py's pictures: worst 19% off (25,000: 31%; none: 49%).
STEP_OVERHEAD_PIXELS = 35_000

ProgressFn = Callable[[Progress], None]
PreviewFn = Callable[[int, torch.Tensor], None]  # octave (1-based) and the picture so far, (3, h, w) in 0..1


def dream(
    net: DreamNet,
    image: torch.Tensor | np.ndarray,
    resolved: ResolvedDream | DreamParams,
    *,
    mask: torch.Tensor | np.ndarray | None = None,
    guide: torch.Tensor | np.ndarray | None = None,
    progress: ProgressFn | None = None,
    preview: PreviewFn | None = None,
    cancelled: Callable[[], bool] | None = None,
    options: EngineOptions | None = None,
    transfers: Transfers | None = None,
    mask_open_sides: tuple[bool, bool, bool, bool] = (True, True, True, True),
) -> torch.Tensor | np.ndarray:
    """Dream on an RGB picture in 0..1, shaped (3, H, W) or (H, W, 3) for numpy; returns the same type and shape.

    A tensor comes back on the device it came from; a numpy picture stays in host memory throughout, and on a GPU
    only the network's view of it goes to the device. ``mask`` is an (H, W) float map in 0..1: the dream acts
    where it is 1, fades where it is between, and leaves the picture exactly as it was where it is 0; a hard-edged
    mask is softened by ``params.edge_softness`` pixels inside its edge, except along ``mask_open_sides`` (top,
    bottom, left, right: the picture's sides that are the document's edge). ``guide`` is a picture whose features
    the dream reaches for. ``resolved`` is the dream as its request resolved it (``resolve_dream``: seed, feature
    scale, layers, channels and octaves); settings not yet resolved (a script's, a test's) are resolved here, for
    this picture. ``options`` say how the device may be used (the server's
    memory budget, graphs); ``transfers`` moves tensors between host and device (a test can count them).
    """
    as_numpy = isinstance(image, np.ndarray)
    picture = _to_batch(image)
    height, width = picture.shape[-2:]
    if isinstance(resolved, DreamParams):
        resolved = resolve_dream(resolved, width, height)
    params, sizes = resolved.params, list(resolved.octaves)
    plan = plan_dream(net, resolved, (height, width), options or EngineOptions())
    place = Residency(transfers or Transfers(net.device), plan.band_rows)
    mask_t = None if mask is None else soften_edges(_to_batch(mask, channels=1), params.edge_softness or 0, mask_open_sides)
    guide_t = None if guide is None else _to_batch(guide)

    base = place.shrink(picture, sizes[-1])
    work_mask = None if mask_t is None else place.shrink(mask_t, sizes[-1])
    guide_view = None if guide_t is None else place.shrink(guide_t, ranking_size(net, guide_t.shape[-2:], resolved.layer_names))
    objective = build_objective(net, resolved, base, guide_view)
    features = compiled_features(net, plan.compile_backend) if plan.compile_backend else None
    step = GradientStep(net, objective, params.precision, graph_cache(net) if plan.graphs else None,
                        features, plan.compile_backend or "eager")

    detail = _octaves(base, work_mask, sizes, step, params, plan, progress, preview, cancelled)
    result = place.finish(picture, detail, mask_t, params.preserve_colors)
    return _from_batch(result, as_numpy)


def _octaves(
    base: torch.Tensor, mask: torch.Tensor | None, sizes: list[tuple[int, int]], step: GradientStep, params: DreamParams,
    plan: Plan, progress: ProgressFn | None, preview: PreviewFn | None, cancelled: Callable[[], bool] | None,
) -> torch.Tensor:
    """The dream at the network's view, smallest octave first; returns the detail it added to ``base``."""
    rng = random.Random(params.seed)
    detail = torch.zeros_like(resize(base, sizes[0]))
    total = len(sizes) * params.steps
    pixels = [h * w + STEP_OVERHEAD_PIXELS for h, w in sizes]  # a step's work: its octave's pixels, and a bit
    before = [params.steps * sum(pixels[:k]) for k in range(len(sizes))]  # the work of the octaves before each
    all_work = params.steps * sum(pixels)
    for k, size in enumerate(sizes):
        octave_base = resize(base, size)
        octave_mask = None if mask is None else resize(mask, size)
        x = (octave_base + resize(detail, size)).clamp(0, 1)
        for index in range(params.steps):
            if cancelled is not None and cancelled():
                raise Cancelled("The dream was cancelled.")
            x = _ascend(x, step, params, octave_mask, plan, rng)
            if progress is not None:
                work = (before[k] + (index + 1) * pixels[k]) / all_work
                progress(Progress(k * params.steps + index + 1, total, k + 1, len(sizes), work))
        detail = x - octave_base
        if preview is not None:
            preview(k + 1, x[0].detach())
    return detail


def plan_dream(net: DreamNet, resolved: ResolvedDream, picture_size: tuple[int, int], options: EngineOptions) -> Plan:
    """Buckets, tile, graphs and bands for this dream on this device (policy.py), from measured numbers."""
    params, layers = resolved.params, resolved.layer_names
    align = max(net.layer_info(layer).stride for layer in layers)
    accelerator = is_accelerator(net.device.type, options)
    padded = tuple(padded_side(side, align, accelerator) for side in resolved.octaves[-1])
    per_pixel, budget = 0.0, 0
    if accelerator and not params.tile:
        budget = activation_budget(free_memory(net.device), options.memory_budget)
        per_pixel = bytes_per_work_pixel(activation_bytes_per_pixel(net, layers, params.precision))
    tile = choose_tile(params.tile, accelerator, padded, per_pixel, budget, align)
    graphs = use_graphs(options.graphs, net.device.type, graphs_available(net.device))
    rows = band_rows(*picture_size, options.band_bytes, accelerator)
    return Plan(accelerator, accelerator, align, tile, graphs, rows, options.compile_backend)


def _ascend(
    x: torch.Tensor, step: GradientStep, params: DreamParams, mask: torch.Tensor | None, plan: Plan, rng: random.Random
) -> torch.Tensor:
    """One jittered, normalised gradient-ascent step."""
    dy, dx = rng.randint(-params.jitter, params.jitter), rng.randint(-params.jitter, params.jitter)
    rolled = torch.roll(x, (dy, dx), dims=(-2, -1))
    # The roll makes a new tensor of the gradient, which may be a CUDA graph's output that the next step reuses.
    grad = torch.roll(tiled_gradient(rolled, step, plan.tile, plan.align, plan.pad_side), (-dy, -dx), dims=(-2, -1))
    if params.laplacian:
        grad = laplacian_normalize(grad, params.laplacian)
    if params.preserve_colors:
        # Move along grey only: brightness changes, hue and saturation stay.
        grad = grad.mean(dim=1, keepdim=True).expand_as(grad)
    return (x + normalized_step(grad, mask, params.step_size)).clamp(0, 1)


def _to_batch(image: torch.Tensor | np.ndarray, channels: int = 3) -> torch.Tensor:
    """(1, C, H, W) float32 where the picture already is; a numpy (H, W, C) picture is viewed, not copied."""
    t = torch.from_numpy(np.ascontiguousarray(image)) if isinstance(image, np.ndarray) else image
    t = t.to(dtype=torch.float32)
    if t.dim() == 2:
        t = t[None]
    if isinstance(image, np.ndarray) and t.shape[-1] in (1, 3) and t.dim() == 3 and channels == 3:
        t = t.permute(2, 0, 1)
    return t[None] if t.dim() == 3 else t


def _from_batch(batch: torch.Tensor, as_numpy: bool) -> torch.Tensor | np.ndarray:
    image = batch[0].detach()
    return image.permute(1, 2, 0).cpu().numpy() if as_numpy else image
