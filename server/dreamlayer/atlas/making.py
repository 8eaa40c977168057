"""Making a layer's missing pictures, a batch of channels at a time, and keeping each as soon as its batch is done."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from ..engine.feature_vis import BATCH, DEFAULT_STEPS, ChannelVisualiser, batches
from ..engine.models import DreamNet
from ..errors import Cancelled
from ..images import to_uint8
from .cache import AtlasCache


@dataclass(frozen=True)
class AtlasProgress:
    made: int  # pictures kept so far, of the channels asked for
    total: int
    step: int  # the running batch's steps
    steps: int
    batch: int = BATCH  # channels asked for in the running batch
    under_way: tuple[int, ...] = ()  # the running batch's channels

    @property
    def share(self) -> float:
        """How much of the work is done, 0..1 (the running batch counted by its steps)."""
        if self.total == 0:
            return 1.0
        return min(1.0, (self.made + self.batch * self.step / max(1, self.steps)) / self.total)


def missing_channels(cache: AtlasCache, channels: tuple[int, ...]) -> list[int]:
    made = cache.made(list(channels))
    return [c for c in channels if c not in made]


def make_thumbnails(net: DreamNet, cache: AtlasCache, channels: tuple[int, ...], steps: int = DEFAULT_STEPS,
                    progress: Callable[[AtlasProgress], None] | None = None,
                    cancelled: Callable[[], bool] | None = None,
                    turn: Callable[[], AbstractContextManager] = contextlib.nullcontext) -> int:
    """Make and keep the pictures of ``channels`` not yet in ``cache``; returns how many were made.

    Each step runs inside ``turn()``: the server's way of letting a dream go first between two steps. Channels
    are made in the engine's fixed batches (``feature_vis.batches``), and every picture of a batch is kept."""
    missing = missing_channels(cache, channels)
    made_before, made_now = len(channels) - len(missing), 0
    for batch in batches(missing, net.layer_info(cache.layer).channels):
        asked = len(set(batch) & set(missing))
        visualiser = ChannelVisualiser(net, cache.layer, batch, cache.size, steps)
        while not visualiser.finished:
            if cancelled is not None and cancelled():
                raise Cancelled("The atlas was cancelled.")
            with turn():
                visualiser.step()
            if progress is not None:
                progress(AtlasProgress(made_before + made_now, len(channels), visualiser.done, steps, asked, tuple(batch)))
        for channel, picture in zip(batch, visualiser.pictures()):
            cache.write(channel, to_uint8(picture.permute(1, 2, 0).numpy()))
        made_now += asked
    if progress is not None:
        progress(AtlasProgress(len(channels), len(channels), 0, steps))
    return made_now
