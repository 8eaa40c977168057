"""The DeepDream zoom: dream, zoom in a little (with optional rotation and drift), dream again, frame after frame.

Frames are yielded one at a time, so a caller can stream them to an encoder and memory stays flat however long
the film. Two things keep a long zoom watchable:
- smoothness: each frame is the previous one zoomed plus a few steps of new dream, optionally blended with the
  undreamed zoom, so nothing flickers;
- no drift: zoom movies are known to creep brighter, darker, more saturated or towards a colour cast over
  hundreds of frames. Each frame's per-channel mean is held to that of the first dreamed frame, and its
  per-channel standard deviation is drawn, a quarter of the way each frame, towards the larger of the first
  frame's and ``CONTRAST_TARGET``: a film from grey noise builds up to a picture's usual contrast over a few
  frames, then holds it, neither washing out nor blowing up.

On a GPU the frame stays on the device from one step to the next (dream, blend, stabilise, zoom: no round trip
through host memory), and each finished frame is copied out asynchronously into pinned memory. A frame is handed
to the caller only once the next one's work is queued, so the GPU keeps working while the caller encodes (which
should happen on another thread: ``dreamlayer.video.BackgroundFrames``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import Cancelled
from ..params import DreamParams, ZoomSettings
from ..params.resolved import ResolvedDream, resolve_dream
from .models import DreamNet
from .policy import EngineOptions
from .render import Progress, dream

# Per-channel standard deviation a film from noise grows to, in 0..1 units: about that of a photograph.
CONTRAST_TARGET = 0.15
# How much of the way to the target spread each frame goes (in log terms): gentle enough never to pump.
CONTRAST_PULL = 0.25


def noise_picture(width: int, height: int, seed: int) -> np.ndarray:
    """Soft grey-ish noise to start a dream from nothing: coarse colour blobs plus fine grain, in 0..1."""
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.rand((1, 3, max(2, height // 32), max(2, width // 32)), generator=generator)
    fine = torch.rand((1, 3, height, width), generator=generator)
    blobs = F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=False)
    picture = 0.5 + 0.25 * (blobs - 0.5) + 0.15 * (fine - 0.5)
    return picture.clamp(0, 1)[0].permute(1, 2, 0).numpy()


def zoom_grid(shape: torch.Size, settings: ZoomSettings, device: torch.device) -> torch.Tensor:
    """The sampling grid of ``zoom_step``: the same for every frame, so it is made once (and its upload, which
    would wait for the GPU, happens once)."""
    _, _, height, width = shape
    angle = math.radians(settings.rotate)
    scale = 1.0 / settings.zoom
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    # affine_grid works in -1..1 coordinates; a shift of d pixels is 2d/size there.
    theta = torch.tensor([[cos, -sin * height / width, 2 * settings.drift_x / width],
                          [sin * width / height, cos, 2 * settings.drift_y / height]], dtype=torch.float32)
    return F.affine_grid(theta[None], list(shape), align_corners=False).to(device)


def zoom_step(frame: torch.Tensor, settings: ZoomSettings, grid: torch.Tensor | None = None) -> torch.Tensor:
    """Enlarge a (1, 3, H, W) frame about its centre by ``zoom``, rotate and shift it, and crop back to size."""
    if grid is None:
        grid = zoom_grid(frame.shape, settings, frame.device)
    return F.grid_sample(frame, grid.to(frame.dtype), mode="bilinear", padding_mode="reflection", align_corners=False)


def _stats(frame: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return frame.mean(dim=(2, 3), keepdim=True), frame.std(dim=(2, 3), keepdim=True).clamp_min(1e-3)


def stabilize(frame: torch.Tensor, reference: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Hold each channel's mean at the reference's, and pull its spread part of the way to the reference's."""
    mean, std = _stats(frame)
    ref_mean, ref_std = reference
    return ((frame - mean) * (ref_std / std) ** CONTRAST_PULL + ref_mean).clamp(0, 1)


def zoom_frames(
    net: DreamNet,
    start: np.ndarray,
    params: DreamParams | ResolvedDream,
    settings: ZoomSettings,
    *,
    progress: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    options: EngineOptions | None = None,
) -> Iterator[np.ndarray]:
    """Yield ``settings.frames`` dreamed frames, (H, W, 3) float32 in 0..1, starting from ``start``.

    ``progress`` follows each frame's dream (its steps and octaves); which frame it is, the caller knows from the
    frames it has been given. ``params`` are the dream settings (resolved here, each frame dreamed with
    ``steps_per_frame`` steps), or the dream of each frame as its request resolved it.
    """
    settings = settings.validated()
    height, width = start.shape[:2]
    resolved = params if isinstance(params, ResolvedDream) else \
        resolve_dream(params, width, height).for_frames(settings.steps_per_frame)
    frame = torch.from_numpy(np.ascontiguousarray(start, dtype=np.float32)).permute(2, 0, 1)[None].to(net.device)
    grid = zoom_grid(frame.shape, settings, net.device)
    reference, pending = None, None
    for index in range(settings.frames):
        try:
            if cancelled is not None and cancelled():
                raise Cancelled("The zoom was cancelled.")
            # A different seed each frame keeps the jitter from repeating in step with the zoom.
            dreamed = dream(net, frame[0], resolved.with_seed(resolved.params.seed + index),
                            progress=progress, cancelled=cancelled, options=options)[None]
        except Cancelled:
            if pending is not None:
                yield pending.result()  # the last finished frame is kept, as before frames were pipelined
            raise
        out = settings.blend * frame + (1 - settings.blend) * dreamed if settings.blend else dreamed
        if settings.stabilize:
            if reference is None:
                mean, std = _stats(out)
                reference = (mean, std.clamp_min(CONTRAST_TARGET))
            else:
                out = stabilize(out, reference)
        if pending is not None:
            yield pending.result()
        pending = _Download(out[0])
        frame = zoom_step(out, settings, grid)
    if pending is not None:
        yield pending.result()


class _Download:
    """A frame on its way to host memory: asynchronous from a CUDA device, into pinned memory."""

    def __init__(self, frame: torch.Tensor):
        pixels = frame.permute(1, 2, 0)
        if frame.device.type != "cuda":
            self._host, self._done = pixels.cpu(), None
            return
        # A fresh buffer each frame (PyTorch caches pinned blocks): the caller may still hold the last one.
        self._host = torch.empty(pixels.shape, dtype=pixels.dtype, pin_memory=True)
        self._host.copy_(pixels, non_blocking=True)
        self._done = torch.cuda.Event()
        self._done.record()

    def result(self) -> np.ndarray:
        if self._done is not None:
            self._done.synchronize()
        return self._host.numpy()
