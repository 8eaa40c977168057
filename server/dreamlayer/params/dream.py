"""A dream's settings, and the shorthands of two of them: weighted layers and channel choices."""

from __future__ import annotations

import random
from dataclasses import dataclass

from dreamlayer_editor import shorthand
from dreamlayer_editor.layers import DRAWN_SEEDS
from dreamlayer_editor.shorthand import ChannelChoice, LayerWeight, ShorthandError

from ..catalog import MODELS, ModelInfo, get_model
from ..errors import InvalidParameter, UnknownLayer
from .knobs import Knobs, knob

PRECISIONS = ("fp32", "bf16", "fp16")
# The network sees a picture at about this long side whatever its size, so a preset gives features of the same
# size relative to the picture at any resolution; small pictures are not blown up more than 1/MIN_FEATURE_SCALE.
REFERENCE_SIDE = 1024
MIN_FEATURE_SCALE = 0.5
MAX_FEATURE_SCALE = 64.0
# The longest side whose automatic feature scale is within range: longer pictures and documents are refused by
# their own size fields, not later by a feature scale nobody asked for.
MAX_SIDE = int(REFERENCE_SIDE * MAX_FEATURE_SCALE)
# A selection without feathering gets this share of the document's long side as a soft edge (at least 4 pixels).
EDGE_SOFTNESS_SHARE = 0.01


@dataclass(frozen=True)
class DreamParams(Knobs):
    model: str = knob("lite0", "Network", "The neural network that does the seeing; Lite0 works offline.",
                      choices=tuple(MODELS), section="more")
    layer: str = knob("", "Features from", "Which stage of the network to amplify: early ones give swirls and "
                      "textures, later ones eyes, fur and creatures. NAME, or NAME=WEIGHT,NAME=WEIGHT to mix.",
                      none_means="the network's default")
    octaves: int = knob(4, "Scales", "How many sizes the dream is built up over, coarse to fine: more gives bigger shapes.", lo=1, hi=12)
    steps: int = knob(10, "Iterations", "How many times each scale is dreamed: more is stronger and slower.", lo=1, hi=200)
    step_size: float = knob(1.5, "Strength", "How much one iteration changes the picture (average change, in 8-bit levels).",
                            lo=0.01, hi=25.0, step=0.25)
    preserve_colors: bool = knob(False, "Keep colours", "Change the brightness only; the picture keeps its colours.")
    seed: int | None = knob(None, "Seed", "The same seed and settings give the same picture; a random "
                            f"seed is drawn below {DRAWN_SEEDS:,}.", lo=0, hi=2**31 - 1,
                            none_means="random")
    channels: str = knob("", "Channels", "Which of the layer's channels to amplify: every channel, only the N that "
                         "already fire hardest (strongest:N), or only those numbered (3,17,42 or 0-7), whose pictures "
                         "the channel atlas shows.", section="more", none_means="all")
    octave_scale: float = knob(1.4, "Scale step", "Size ratio between one scale and the next.", lo=1.05, hi=3.0,
                               step=0.05, section="more")
    jitter: int = knob(32, "Jitter", "Random shift before each iteration, in pixels; hides the network's grid.",
                       lo=0, hi=256, section="advanced")
    laplacian: int = knob(0, "Smoothing", "Favours larger, smoother shapes: 0 is off, 1 to 8 smooth more.", lo=0, hi=8, section="advanced")
    guide_weight: float = knob(4.0, "Guide strength", "How strongly a guide picture steers the dream, against the "
                               "layer's own features: 0 ignores the guide, 1 is even, 20 all but the guide alone.",
                               lo=0.0, hi=100.0, step=0.5, section="more")
    scale: float | None = knob(None, "Feature size", "Picture pixels per network pixel: bigger gives bigger features. "
                               "Automatic: the network sees the document at about 1024 pixels across.",
                               lo=0.05, hi=MAX_FEATURE_SCALE, step=0.25, section="more", none_means="automatic")
    edge_softness: float | None = knob(None, "Edge softness", "Softens the edge of a selection that has no feather, "
                                       "in pixels; 0 keeps it hard. Automatic: 1% of the document's long side.",
                                       lo=0.0, hi=1024.0, step=1.0, section="more", none_means="automatic")
    tile: int = knob(0, "Tile size", "The largest square the network sees at once; lower it if a GPU runs out of "
                     "memory. 0 picks one for the device.", lo=0, hi=8192, step=64, section="advanced")
    precision: str = knob("fp32", "Precision", "Arithmetic precision; bf16 and fp16 can be faster on a GPU.",
                          choices=PRECISIONS, section="advanced")

    def validated(self) -> DreamParams:
        check_model_layers(self)  # first: its messages name the model's layers
        return super().validated()

    def resolved(self, width: int, height: int) -> DreamParams:
        """Fill in what was left to chance or to the document's size (``width`` × ``height``): seed, feature scale
        and edge softness."""
        return self.replace(
            seed=self.seed if self.seed is not None else random.SystemRandom().randrange(DRAWN_SEEDS),
            scale=self.scale if self.scale is not None else default_scale(width, height),
            edge_softness=self.edge_softness if self.edge_softness is not None else default_edge_softness(width, height),
        )


def default_scale(width: int, height: int) -> float:
    """Picture pixels per network pixel for a picture (or, in an editor, a whole document) of this size.

    Editors send the document's size, so a dreamed selection gets features the same size as a dreamed canvas.
    """
    return round(max(max(width, height) / REFERENCE_SIDE, MIN_FEATURE_SCALE), 4)


def default_edge_softness(width: int, height: int) -> float:
    return float(max(4, round(max(width, height) * EDGE_SOFTNESS_SHARE)))


def parse_layers(text: str) -> list[LayerWeight]:
    """The ``layer`` shorthand (``block8=0.5,block10``), refused as an invalid parameter when it does not read."""
    try:
        return shorthand.parse_layers(text)
    except ShorthandError as exc:
        raise InvalidParameter(str(exc)) from None


def parse_channels(text: str) -> ChannelChoice | None:
    """The ``channels`` shorthand (``strongest:N``, ``3,17,42``), refused as an invalid parameter when it does not read."""
    try:
        return shorthand.parse_channels(text)
    except ShorthandError as exc:
        raise InvalidParameter(str(exc)) from None


def check_model_layers(params: DreamParams) -> None:
    """Refuse unknown models and layers, and channel numbers a layer does not have, without loading any weights."""
    spec = get_model(params.model)
    choice = parse_channels(params.channels)
    for name, _ in parse_layers(params.layer) or [(spec.default_layer, 1.0)]:
        check_layer_channels(spec, name, choice)


def check_layer_channels(spec: ModelInfo, layer: str, choice: ChannelChoice | None) -> None:
    """Refuse a layer the model lacks, and channel numbers the layer lacks."""
    if layer not in spec.layers:
        raise UnknownLayer(f"Model '{spec.name}' has no layer '{layer}'. Its layers are: {', '.join(spec.layers)}.")
    count = spec.layers[layer].channels
    bad = [i for i in (choice.indices if choice else ()) if i >= count]
    if bad:
        raise InvalidParameter(f"Layer '{layer}' has {count} channels (0 to {count - 1}); {bad[0]} is out of range.")
