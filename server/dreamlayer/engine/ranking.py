"""How hard each channel of a layer fires on a picture: the seed of DeepDream's "most excited kernels".

A channel's strength is its mean activation over the picture (or over the selected part of it). Its share is its
part of the layer's positive activation: the channels that do not fire (mean at or below zero) have none.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .models import DreamNet
from .resize import resize

# Channel strength is measured on a copy of the picture no larger than this, which is plenty to rank channels.
RANKING_SIDE = 512


@dataclass(frozen=True)
class ChannelStrength:
    channel: int
    activation: float  # mean activation over the picture
    share: float  # of the layer's positive activation, 0..1


def ranking_size(net: DreamNet, size: tuple[int, int], layers: list[str], side: int = RANKING_SIDE) -> tuple[int, int]:
    """The size a picture is looked at to rank channels or read a guide: at most ``side``, at least the layer's."""
    h, w = size
    factor = min(1.0, side / max(h, w))
    min_side = max(net.layer_info(name).min_size for name in layers)
    return max(min_side, round(h * factor)), max(min_side, round(w * factor))


def features_at_most(net: DreamNet, image: torch.Tensor, layers: list[str], side: int = RANKING_SIDE) -> dict[str, torch.Tensor]:
    """The layers' activations for a (1, 3, H, W) picture looked at no larger than ``side``."""
    size = ranking_size(net, tuple(image.shape[-2:]), layers, side)
    return net.features(resize(image.to(net.device), size), layers)


def mean_activations(activation: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Each channel's mean over the picture, or over the mask's weight ((H, W) in 0..1 at the picture's size)."""
    a = activation.float()[0]
    if mask is None:
        return a.mean(dim=(1, 2))
    weight = resize(mask.to(a.device, torch.float32)[None, None], tuple(a.shape[-2:]))[0, 0]
    total = weight.sum()
    if total <= 0:
        return a.mean(dim=(1, 2))
    return (a * weight).sum(dim=(1, 2)) / total


def strongest_first(means: torch.Tensor) -> torch.Tensor:
    """Channel indices, the hardest-firing first."""
    return means.argsort(descending=True, stable=True)


def rank_channels(net: DreamNet, image: torch.Tensor, layer: str, mask: torch.Tensor | None = None) -> list[ChannelStrength]:
    """Every channel of ``layer`` ranked by how hard it fires on ``image`` ((1, 3, H, W) in 0..1), strongest first."""
    with torch.no_grad():
        means = mean_activations(features_at_most(net, image, [net.check_layer(layer)])[layer], mask).cpu()
    positive = means.clamp(min=0)
    total = float(positive.sum()) or 1.0
    return [ChannelStrength(int(c), float(means[c]), float(positive[c]) / total) for c in strongest_first(means)]
