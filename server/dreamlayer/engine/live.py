"""Live dreams: the same picture dreamed again and again while an artist paints it, where only the strokes move.

Each live dream is an ordinary dream (``dream``) with the lane's fixed seed, so its jitter is the same each time
and an unchanged picture gives the same dream. Even so a stroke moves the whole dream a little: the steps are
normalised by the gradient over the whole picture, and a step's small change grows over the steps that follow.
So the new dream is taken only where the picture changed, grown by ``MARGIN`` of the network's pixels (a stroke's
features reach that far) and feathered over ``FEATHER`` more; everywhere else the last live dream stays as it was.
A picture whose pixels did not change (to within ``CHANGE_LEVEL``) is not dreamed at all.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .models import DreamNet
from .policy import EngineOptions
from .render import dream
from ..params.resolved import ResolvedDream

# A pixel changed when one of its channels moved by more than half an 8-bit level: a 16-bit or float layer's
# rounding does not count, a stroke of the faintest 8-bit brush does.
CHANGE_LEVEL = 0.5 / 255
# In the network's pixels (on a 1024² canvas seen at 384, one is 2.7 canvas pixels).
MARGIN, FEATHER = 8, 8


@dataclass(frozen=True)
class LiveMemory:
    """What a lane keeps of its last live dream, to compare the next picture with and to keep where it did not change."""

    picture: np.ndarray  # (H, W, 3) float32, as it was sent
    dreamed: np.ndarray  # (H, W, 3) float32, the live dream of it
    settings: Hashable  # the dream's settings and mask: anything else starts afresh


@dataclass(frozen=True)
class LiveOutcome:
    dreamed: np.ndarray
    memory: LiveMemory
    changed: bool  # False: nothing changed, nothing was dreamed, ``dreamed`` is the last one


def live_dream(net: DreamNet, picture: np.ndarray, resolved: ResolvedDream, memory: LiveMemory | None,
               settings: Hashable, *, mask: np.ndarray | None = None,
               mask_open_sides: tuple[bool, bool, bool, bool] = (True,) * 4,
               cancelled: Callable[[], bool] | None = None, options: EngineOptions | None = None) -> LiveOutcome:
    """Dream ``picture`` (H, W, 3 in 0..1) for a lane whose last live dream is ``memory`` (None: the first).
    ``settings`` stands for everything but the pixels (the resolved dream, the mask's fingerprint)."""
    same_kind = memory is not None and memory.settings == settings and memory.picture.shape == picture.shape
    changed = changed_pixels(memory.picture, picture) if same_kind else None
    if changed is not None and not changed.any():
        return LiveOutcome(memory.dreamed, memory, False)
    fresh = dream(net, picture, resolved, mask=mask, mask_open_sides=mask_open_sides, cancelled=cancelled, options=options)
    if changed is not None:
        take_new = where_to_take_new(changed, resolved.octaves[-1])[..., None]
        fresh = fresh * take_new + memory.dreamed * (1 - take_new)  # exactly the fresh dream where take_new is 1
    fresh = np.ascontiguousarray(fresh, dtype=np.float32)
    return LiveOutcome(fresh, LiveMemory(np.array(picture, dtype=np.float32), fresh, settings), True)


def changed_pixels(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(H, W) bool: where any channel moved by more than ``CHANGE_LEVEL``."""
    return (np.abs(after - before) > CHANGE_LEVEL).any(axis=-1)


def where_to_take_new(changed: np.ndarray, view: tuple[int, int]) -> np.ndarray:
    """(H, W) float32 in 0..1: 1 over the changed pixels and ``MARGIN`` network pixels around them, fading to 0
    over ``FEATHER`` more. Worked out at the network's view (``view``: height, width), where the margin is."""
    full = torch.from_numpy(changed).float()[None, None]
    seen = F.adaptive_max_pool2d(full, view)  # a changed pixel marks its whole network pixel
    grown = F.max_pool2d(seen, 2 * (MARGIN + FEATHER) + 1, stride=1, padding=MARGIN + FEATHER)
    # The box blur of the mask grown by MARGIN + FEATHER: 1 within MARGIN of a change, 0 beyond MARGIN + 2·FEATHER.
    soft = F.avg_pool2d(grown, 2 * FEATHER + 1, stride=1, padding=FEATHER, count_include_pad=False)
    return F.interpolate(soft, size=changed.shape, mode="bilinear", align_corners=False)[0, 0].clamp(0, 1).numpy()
