"""Feature visualisation: for each channel of a layer, the picture that excites it most, grown from noise.

Each picture maximises its channel's mean activation (signed, as lucent's ``objectives.channel``), seen through
random transforms, with the Fourier parameterisation of ``fourier.py`` and Adam, as in the "Feature Visualization"
article. A batch of channels is optimised at once (one picture per channel). Everything random is drawn from the
model's, layer's and channel's names, and channels are always optimised in the same batches (``BATCH``
consecutive numbers: 0-15, 16-31...), so a channel's picture is the same every time, to the last bit on one
machine, whichever of its channels were asked for. (A batch of other sizes would give the same picture only to
float rounding, which Adam's first steps magnify.)
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ..errors import Cancelled
from .fourier import FourierImage, RandomTransforms
from .models import DreamNet

# Raised whenever what the pictures look like changes: the cache keeps pictures per method version.
METHOD_VERSION = 1
DEFAULT_SIZE = 128
DEFAULT_STEPS = 48
LEARNING_RATE = 0.1
BATCH = 16  # channels optimised together; the atlas is made batch by batch, so a dream waits at most one step


def channel_seed(model: str, layer: str, channel: int) -> int:
    """Where a channel's picture starts from: the same on every machine and in every batch."""
    return zlib.crc32(f"{model}/{layer}/{channel}".encode())


@dataclass
class VisualisationStep:
    done: int  # steps taken
    total: int


class ChannelVisualiser:
    """Grows pictures for ``channels`` of ``layer``, one ``step()`` at a time (the server runs dreams between
    steps); ``pictures()`` is the batch as it stands."""

    def __init__(self, net: DreamNet, layer: str, channels: Sequence[int], size: int = DEFAULT_SIZE,
                 steps: int = DEFAULT_STEPS):
        self.net, self.layer, self.channels = net, net.check_layer(layer), list(channels)
        seeds = [channel_seed(net.name, layer, c) for c in self.channels]
        self.image = FourierImage(seeds, size, net.device)
        self.transforms = RandomTransforms(seeds)
        self.optimizer = torch.optim.Adam(self.image.parameters(), lr=LEARNING_RATE)
        self.index = torch.tensor(self.channels, device=net.device)
        self.done, self.total = 0, steps

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    def step(self) -> VisualisationStep:
        self.optimizer.zero_grad(set_to_none=True)
        with torch.enable_grad():
            seen = self.transforms(self.image())
            activation = self.net.features(seen, [self.layer])[self.layer].float()
            own = activation[torch.arange(len(self.channels)), self.index]  # each picture's own channel
            (-own.mean(dim=(1, 2)).sum()).backward()
        self.optimizer.step()
        self.done += 1
        return VisualisationStep(self.done, self.total)

    def pictures(self) -> torch.Tensor:
        """(N, 3, size, size) in 0..1, as pictures to look at (no transforms)."""
        with torch.no_grad():
            return self.image().detach().cpu()


def batches(channels: Sequence[int], count: int) -> list[list[int]]:
    """The batches that hold ``channels`` of a layer of ``count``: each ``BATCH`` consecutive numbers, whole."""
    return [list(range(first, min(first + BATCH, count))) for first in sorted({c - c % BATCH for c in channels})]


def visualise_channels(net: DreamNet, layer: str, channels: Sequence[int], size: int = DEFAULT_SIZE,
                       steps: int = DEFAULT_STEPS, progress: Callable[[VisualisationStep], None] | None = None,
                       cancelled: Callable[[], bool] | None = None) -> torch.Tensor:
    """One picture per channel, in the order asked: (N, 3, size, size) in 0..1. Each batch that holds one of
    them is made whole (see ``batches``)."""
    made: dict[int, torch.Tensor] = {}
    for batch in batches(channels, net.layer_info(layer).channels):
        visualiser = ChannelVisualiser(net, layer, batch, size, steps)
        while not visualiser.finished:
            if cancelled is not None and cancelled():
                raise Cancelled("The atlas was cancelled.")
            report = visualiser.step()
            if progress is not None:
                progress(report)
        made.update(zip(batch, visualiser.pictures()))
    return torch.stack([made[c] for c in channels])
