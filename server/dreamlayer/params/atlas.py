"""The channel atlas's settings and a ranking's: which model, layer and channels, and the pictures' size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..catalog import MODELS, get_model
from ..errors import InvalidParameter
from .dream import check_layer_channels, parse_channels
from .knobs import Knobs, knob

DEFAULT_THUMBNAIL = 128


def _model():
    return knob("lite0", "Network", "The network whose channels are shown.", choices=tuple(MODELS))


def _layer():
    return knob("", "Layer", "The layer whose channels are shown.", none_means="the network's default")


@dataclass(frozen=True)
class AtlasSettings(Knobs):
    model: str = _model()
    layer: str = _layer()
    channels: str = knob("", "Channels", "Which channels: numbers and ranges (0-31,40); empty: the whole layer.",
                         none_means="all")
    size: int = knob(DEFAULT_THUMBNAIL, "Picture size", "Each channel's picture is this many pixels square.",
                     lo=32, hi=512, step=32)

    KIND: ClassVar[str] = "channel atlas"

    def validated(self) -> AtlasSettings:
        _check(self.model, self.layer, self.channels)
        return super().validated()

    def resolved(self) -> ResolvedAtlas:
        """The layer named (the network's default if none) and the channels as numbers (every one if none)."""
        spec = get_model(self.model)
        layer = self.layer.strip() or spec.default_layer
        choice = parse_channels(self.channels)
        if choice is not None and choice.strongest:
            raise InvalidParameter("The atlas takes channel numbers and ranges (0-31); 'strongest:N' needs a picture.")
        channels = choice.indices if choice is not None else tuple(range(spec.layers[layer].channels))
        return ResolvedAtlas(spec.name, layer, channels, self.size)


@dataclass(frozen=True)
class ResolvedAtlas:
    """Which pictures: a model's layer, the channels as numbers, the pictures' side."""

    model: str
    layer: str
    channels: tuple[int, ...]
    size: int


@dataclass(frozen=True)
class RankingSettings(Knobs):
    model: str = _model()
    layer: str = _layer()

    KIND: ClassVar[str] = "ranking"

    def validated(self) -> RankingSettings:
        _check(self.model, self.layer, "")
        return super().validated()


def _check(model: str, layer: str, channels: str) -> None:
    """One layer (the atlas shows one at a time) that the model has, and channels the layer has."""
    spec = get_model(model)
    check_layer_channels(spec, layer.strip() or spec.default_layer, parse_channels(channels))
