"""Dreaming moving pictures: each frame starts from the last frame's dream carried along the motion.

The crude way (pytorch-deepdream, DeepDreamVideo) starts each frame from a blend with the last dream, so the
dream's eyes and arches stay put on the screen while the picture moves under them. Here the last dream's
*detail* (dream minus its source frame) is carried along the optical flow from the last source frame to this one,
added to this frame (``blend`` of it), and dreamed a few steps more (``steps_per_frame`` per octave). Where the flow
fails (a scene cut), the frame is dreamed afresh, as the first one is: with the full number of steps.

Nothing creeps over a long film: the detail's per-channel mean is held at the first frame's, and its spread is drawn
a quarter of the way each frame towards the first frame's (``zoom.py`` does the same to whole frames; here the
source's own changes of light are left alone). Each dreamed frame is rounded to 8 bits before it is carried on, so
a run resumed from frames saved as 8-bit PNGs continues exactly as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from ..params import DreamParams, VideoSettings
from ..params.resolved import ResolvedDream, resolve_dream
from .flow import backward_flow, carry, flow_failed
from .models import DreamNet
from .policy import EngineOptions
from .render import Progress, dream
from .zoom import CONTRAST_PULL


class Statistics(NamedTuple):
    mean: torch.Tensor  # (1, 3, 1, 1)
    std: torch.Tensor


def statistics(x: torch.Tensor) -> Statistics:
    return Statistics(x.mean(dim=(2, 3), keepdim=True), x.std(dim=(2, 3), keepdim=True).clamp_min(1e-4))


def hold(detail: torch.Tensor, reference: Statistics) -> torch.Tensor:
    """The detail with each channel's mean at the reference's and its spread part of the way to the reference's."""
    mean, std = statistics(detail)
    return (detail - mean) * (reference.std / std) ** CONTRAST_PULL + reference.mean


def quantize(image: torch.Tensor) -> torch.Tensor:
    """Rounded to 8 bits, as the frame will be saved and, when a run resumes, read back."""
    return torch.round(image.clamp(0, 1) * 255) / 255


class FrameDreamer:
    """Call it with each frame in turn, (H, W, 3) floats in 0..1; it returns that frame dreamed (same shape)."""

    def __init__(self, net: DreamNet, params: DreamParams | ResolvedDream, settings: VideoSettings, *,
                 progress: Callable[[Progress], None] | None = None, cancelled: Callable[[], bool] | None = None,
                 options: EngineOptions | None = None):
        self.net, self.settings = net, settings.validated()
        self.params = params  # the first frame's dream: resolved at the first frame, unless its request did
        self.first: ResolvedDream | None = params if isinstance(params, ResolvedDream) else None
        self.later: ResolvedDream | None = None  # the dream of the frames that carry the last one's along
        self.progress, self.cancelled, self.options = progress, cancelled, options
        self.previous: tuple[torch.Tensor, torch.Tensor] | None = None  # the last (source, dream)
        self.reference: Statistics | None = None

    def restore(self, first: tuple[np.ndarray, np.ndarray], last: tuple[np.ndarray, np.ndarray]) -> None:
        """Go on from saved frames: the first (source, dream) pair sets the reference, the last one is carried on."""
        first_source, first_dream = (self._tensor(x) for x in first)
        self.reference = statistics(first_dream - first_source)
        self.previous = tuple(self._tensor(x) for x in last)  # type: ignore[assignment]

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        source = self._tensor(frame)
        if self.first is None:
            self.first = resolve_dream(self.params, frame.shape[1], frame.shape[0])
        if self.later is None:
            # Only what the blend let go is dreamed anew, so steps are that much smaller: the dream moves on
            # gently instead of flickering.
            self.later = self.first.for_frames(self.settings.steps_per_frame, max(1 - self.settings.blend, 0.05))
        carried = self._carried_detail(source)
        if carried is None:  # the first frame, or a scene cut: a whole dream of its own
            start, resolved = source, self.first
        else:
            start, resolved = (source + self.settings.blend * carried).clamp(0, 1), self.later
        dreamed = dream(self.net, start[0], resolved, progress=self.progress, cancelled=self.cancelled,
                        options=self.options)[None]
        dreamed = quantize(self._steadied(source, dreamed))
        self.previous = (source, dreamed)
        return dreamed[0].permute(1, 2, 0).cpu().numpy()

    def _carried_detail(self, source: torch.Tensor) -> torch.Tensor | None:
        if self.previous is None or self.settings.blend == 0:
            return None
        previous_source, previous_dream = self.previous
        detail = previous_dream - previous_source
        if not self.settings.follow_motion:
            return detail
        size = self.first.octaves[-1]  # the flow is measured at the size the network sees
        flow = backward_flow(previous_source, source, size)
        if flow_failed(previous_source, source, flow, size):
            return None
        return carry(detail, flow)

    def _steadied(self, source: torch.Tensor, dreamed: torch.Tensor) -> torch.Tensor:
        if not self.settings.stabilize:
            return dreamed
        detail = dreamed - source
        if self.reference is None:
            self.reference = statistics(quantize(dreamed) - source)
            return dreamed
        return (source + hold(detail, self.reference)).clamp(0, 1)

    def _tensor(self, frame: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(frame, dtype=np.float32)).permute(2, 0, 1)[None].to(self.net.device)
