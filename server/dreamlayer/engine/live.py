"""Live dreams: the same picture dreamed again and again while an artist paints it, where only the strokes move.

Each live dream is an ordinary dream (``dream``) with the lane's fixed seed, so its jitter is the same each time
and an unchanged picture gives the same dream. Even so a stroke moves the whole dream a little: the steps are
normalised by the gradient over the whole picture, and a step's small change grows over the steps that follow.
So the new dream is taken only where the picture changed, grown by ``MARGIN`` of the network's pixels (a stroke's
features reach that far) and feathered over ``FEATHER`` more; everywhere else the last live dream stays as it was.
And since only that is taken, only that is dreamed: the part of the picture around it, with ``CONTEXT`` network
pixels more on each side so the dream there sees the stroke's surroundings (and the jitter's wrap-around stays
outside what is taken). A part larger than ``WHOLE_SHARE`` of the picture is dreamed whole. A picture whose pixels
did not change (to within ``CHANGE_LEVEL``) is not dreamed at all.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from .models import DreamNet
from .policy import EngineOptions
from .render import dream
from ..params.resolved import ResolvedDream, resolve_dream

# A pixel changed when one of its channels moved by more than half an 8-bit level: a 16-bit or float layer's
# rounding does not count, a stroke of the faintest 8-bit brush does.
CHANGE_LEVEL = 0.5 / 255
# In the network's pixels (on a 1024² canvas seen at 384, one is 2.7 canvas pixels).
MARGIN, FEATHER = 8, 8
CONTEXT = 48  # more than the default jitter (32)
WHOLE_SHARE = 0.5


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
    height, width = picture.shape[:2]
    box = Box(0, height, 0, width) if changed is None else part_to_dream(changed, resolved.octaves[-1])
    part = np.s_[box.top:box.bottom, box.left:box.right]
    fresh = dream(net, picture[part], resolve_dream(resolved.params, box.right - box.left, box.bottom - box.top),
                  mask=None if mask is None else mask[part], mask_open_sides=box.open_sides(mask_open_sides, height, width), cancelled=cancelled,
                  options=options)
    if changed is None:
        dreamed = np.ascontiguousarray(fresh, dtype=np.float32)
    else:
        dreamed = memory.dreamed.copy()  # the last one may still be on its way to the editor
        take_new = where_to_take_new(changed, resolved.octaves[-1], box)[..., None]
        dreamed[part] = fresh * take_new + dreamed[part] * (1 - take_new)  # exactly the fresh dream where it is 1
    # The picture is kept as it is, not copied: nothing writes to a picture once sent.
    return LiveOutcome(dreamed, LiveMemory(np.asarray(picture, dtype=np.float32), dreamed, settings), True)


class Box(NamedTuple):
    top: int
    bottom: int
    left: int
    right: int

    def open_sides(self, picture_open: tuple[bool, bool, bool, bool], height: int, width: int) -> tuple[bool, ...]:
        """The part's sides (top, bottom, left, right) along which a selection is not softened: those inside the
        picture (no selection's edge is there), and those on the picture's edge that are open in the picture."""
        inside = (self.top > 0, self.bottom < height, self.left > 0, self.right < width)
        return tuple(side_open or within for side_open, within in zip(picture_open, inside))


def part_to_dream(changed: np.ndarray, view: tuple[int, int]) -> Box:
    """The part of the picture to dream again: what is taken anew (``where_to_take_new``) and ``CONTEXT`` network
    pixels round it, in picture pixels; the whole picture when that is more than ``WHOLE_SHARE`` of it."""
    height, width = changed.shape
    rows, cols = np.nonzero(changed.any(axis=1))[0], np.nonzero(changed.any(axis=0))[0]
    reach = MARGIN + 2 * FEATHER + CONTEXT  # network pixels
    down, across = reach * height / view[0], reach * width / view[1]
    box = Box(max(0, int(rows[0] - down)), min(height, int(np.ceil(rows[-1] + 1 + down))),
              max(0, int(cols[0] - across)), min(width, int(np.ceil(cols[-1] + 1 + across))))
    if (box.bottom - box.top) * (box.right - box.left) > WHOLE_SHARE * height * width:
        return Box(0, height, 0, width)
    return box


def changed_pixels(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(H, W) bool: where any channel moved by more than ``CHANGE_LEVEL``."""
    return (np.abs(after - before) > CHANGE_LEVEL).any(axis=-1)


def where_to_take_new(changed: np.ndarray, view: tuple[int, int], box: Box | None = None) -> np.ndarray:
    """(H, W) float32 in 0..1: 1 over the changed pixels and ``MARGIN`` network pixels around them, fading to 0
    over ``FEATHER`` more. Worked out at the network's view (``view``: height, width), where the margin is; with
    ``box``, only inside it."""
    full = torch.from_numpy(changed).float()[None, None]
    seen = F.adaptive_max_pool2d(full, view)  # a changed pixel marks its whole network pixel
    grown = _grow(seen, MARGIN + FEATHER)
    # The box blur of the mask grown by MARGIN + FEATHER: 1 within MARGIN of a change, 0 beyond MARGIN + 2·FEATHER.
    soft = F.avg_pool2d(grown, (2 * FEATHER + 1, 1), stride=1, padding=(FEATHER, 0), count_include_pad=False)
    soft = F.avg_pool2d(soft, (1, 2 * FEATHER + 1), stride=1, padding=(0, FEATHER), count_include_pad=False)
    take = F.interpolate(soft, size=changed.shape, mode="bilinear", align_corners=False)[0, 0].clamp(0, 1).numpy()
    return take if box is None else take[box.top:box.bottom, box.left:box.right]


def _grow(mask: torch.Tensor, by: int) -> torch.Tensor:
    """``mask`` (1, 1, h, w) grown by ``by`` pixels across and down: a square's max, one axis at a time."""
    taller = F.max_pool2d(mask, (2 * by + 1, 1), stride=1, padding=(by, 0))
    return F.max_pool2d(taller, (1, 2 * by + 1), stride=1, padding=(0, by))
