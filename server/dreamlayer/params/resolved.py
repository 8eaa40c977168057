"""A dream resolved once, where a request comes in (the CLI's flags, the HTTP form, a plugin's knobs): what the
engine runs, with nothing left to parse, check or fill in.

``resolve_dream`` validates the settings, fills in what was left to chance or to the document's size (seed,
feature scale, edge softness), reads the layer and channel shorthands, and plans the octaves. The engine takes the
result; the server prices a dream by its octaves before queueing it, from the same plan. A film's frames are dreamed
with their own steps (``for_frames``: a zoom's or a video's ``steps_per_frame`` in place of ``steps``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..catalog import get_model
from .dream import ChannelChoice, DreamParams, LayerWeight, parse_channels, parse_layers


@dataclass(frozen=True)
class ResolvedDream:
    params: DreamParams  # validated; seed, feature scale and edge softness filled in
    layers: tuple[LayerWeight, ...]  # the layers named, or the network's default layer at weight 1
    channels: ChannelChoice | None  # None: every channel
    octaves: tuple[tuple[int, int], ...]  # (height, width) of each octave the network sees, smallest first

    @property
    def layer_names(self) -> list[str]:
        return [layer for layer, _ in self.layers]

    @property
    def cost(self) -> int:
        """Network pixels × steps over all octaves: what the dream costs, whatever the picture's size."""
        return sum(h * w for h, w in self.octaves) * self.params.steps

    def with_seed(self, seed: int) -> ResolvedDream:
        """The same dream with another seed (a zoom's next frame): any whole number is a valid seed once wrapped,
        so nothing is checked again."""
        return replace(self, params=replace(self.params, seed=seed % 2**31))

    def with_tile(self, tile: int) -> ResolvedDream:
        """The same dream in tiles of at most ``tile`` pixels (a retry after the GPU ran out of memory)."""
        return replace(self, params=self.params.replace(tile=tile))

    def for_frames(self, steps_per_frame: int, step_size_share: float = 1.0) -> ResolvedDream:
        """The dream of a film's later frames: ``steps_per_frame`` steps (of ``step_size_share`` of the step size).

        Not checked against the knobs' ranges again: both were checked as the artist gave them, and a share of a
        small strength may fall below the Strength knob's least (a video's gentle carry-over of a gentle dream)."""
        params = replace(self.params, steps=steps_per_frame, step_size=self.params.step_size * step_size_share)
        return replace(self, params=params)


def resolve_dream(params: DreamParams, width: int, height: int, document: tuple[int, int] | None = None) -> ResolvedDream:
    """The dream of a width × height picture; an editor's selection is resolved for its whole ``document``
    (width, height) so its features are the size the whole canvas would get."""
    params = params.resolved(*(document or (width, height)))  # validated as it is resolved
    spec = get_model(params.model)
    layers = tuple(parse_layers(params.layer)) or (LayerWeight(spec.default_layer, 1.0),)
    min_side = max(spec.layers[name].min_size for name, _ in layers)
    work = work_size(height, width, params.scale, min_side)
    octaves = tuple(octave_sizes(work, params.octaves, params.octave_scale, min_side))
    return ResolvedDream(params, layers, parse_channels(params.channels), octaves)


def octave_sizes(work: tuple[int, int], octaves: int, octave_scale: float, min_side: int) -> list[tuple[int, int]]:
    """Sizes from the smallest octave up to ``work``; octaves smaller than the layer needs are dropped."""
    sizes = []
    for k in range(octaves):
        factor = octave_scale ** (octaves - 1 - k)
        size = (max(1, round(work[0] / factor)), max(1, round(work[1] / factor)))
        if min(size) >= min_side or k == octaves - 1:
            sizes.append(size)
    return sizes


def work_size(height: int, width: int, scale: float, min_side: int) -> tuple[int, int]:
    """The size at which the network sees the picture: its size divided by the feature scale, never below ``min_side``."""
    h, w = height / scale, width / scale
    grow = max(1.0, min_side / min(h, w))
    return max(min_side, round(h * grow)), max(min_side, round(w * grow))
