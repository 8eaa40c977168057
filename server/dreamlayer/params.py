"""The one typed description of a dream's parameters.

The CLI flags, the HTTP form fields, the OpenAPI schema and the presets all derive from ``DreamParams``, so a new
knob is added here and nowhere else. Values arrive as Python values or as strings (from a command line or a form)
and are validated once, by ``DreamParams.from_mapping``.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .catalog import get_model
from .client import feature_scale
from .errors import InvalidParameter, UnknownLayer

PRECISIONS = ("fp32", "bf16", "fp16")


def _knob(default: Any, help: str, lo: float | None = None, hi: float | None = None, choices: tuple = (), cli: bool = True):
    return field(default=default, metadata={"help": help, "min": lo, "max": hi, "choices": choices, "cli": cli})


@dataclass(frozen=True)
class DreamParams:
    model: str = _knob("lite0", "network to dream with (see `dreamlayer models`)")
    layer: str = _knob("", "layer(s) to amplify: NAME or NAME=WEIGHT,NAME=WEIGHT; empty means the model's default")
    octaves: int = _knob(4, "number of scales the dream is built up over", 1, 12)
    octave_scale: float = _knob(1.4, "size ratio between one octave and the next", 1.05, 3.0)
    steps: int = _knob(10, "gradient-ascent steps per octave", 1, 200)
    step_size: float = _knob(1.5, "strength of one step, in 8-bit colour levels of average change", 0.01, 25.0)
    jitter: int = _knob(32, "random shift in pixels before each step; hides the network's grid", 0, 256)
    channels: str = _knob("", "channels to amplify: strongest:N, or indices i,j,k; empty means the whole layer")
    laplacian: int = _knob(0, "Laplacian-pyramid gradient normalisation levels (0 = off); smoother, larger shapes", 0, 8)
    guide_weight: float = _knob(1.0, "how strongly a guide image steers the dream", 0.0, 100.0)
    preserve_colors: bool = _knob(False, "dream the brightness only and keep the picture's colours")
    scale: float | None = _knob(None, "feature scale: image pixels per network pixel; default derives from the picture's size", 0.05, 64.0)
    seed: int | None = _knob(None, "random seed; the same seed and settings give the same picture", 0, 2**31 - 1)
    tile: int = _knob(0, "largest square (network pixels) processed at once; 0 picks one for the device", 0, 8192)
    precision: str = _knob("fp32", "arithmetic precision", choices=PRECISIONS)

    @classmethod
    def fields(cls) -> list[dataclasses.Field]:
        return list(dataclasses.fields(cls))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], base: DreamParams | None = None) -> DreamParams:
        """Build and validate from Python values or strings; unknown names and bad values raise InvalidParameter."""
        known = {f.name: f for f in cls.fields()}
        # Names come from forms and files too: anything, even an empty or non-text name, is refused by name.
        unknown = sorted(repr(name) if not isinstance(name, str) or not name else name for name in values if name not in known)
        if unknown:
            raise InvalidParameter(f"Unknown setting(s): {', '.join(unknown)}.")
        parsed = {name: _parse(known[name], value) for name, value in values.items()}
        return dataclasses.replace(base or cls(), **parsed).validated()

    def validated(self) -> DreamParams:
        for f in self.fields():
            _check_range(f, getattr(self, f.name))
        check_model_layers(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> DreamParams:
        return dataclasses.replace(self, **changes).validated()

    def resolved(self, width: int, height: int) -> DreamParams:
        """Fill in what was left to chance or to the image: the seed and the feature scale."""
        return self.replace(
            seed=self.seed if self.seed is not None else random.SystemRandom().randrange(2**31),
            scale=self.scale if self.scale is not None else default_scale(width, height),
        )


# One formula, shared with the editor plugins through the stdlib-only client.
default_scale = feature_scale


def parse_bool(text: str) -> bool:
    """yes/no, true/false, on/off, 1/0, as forms and command lines send them."""
    if text.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if text.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(text)


def _parse(f: dataclasses.Field, value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    text = value.strip()
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    try:
        if kind.startswith("bool"):
            return parse_bool(text)
        if "None" in kind and text.lower() in ("", "none", "auto"):
            return None
        if kind.startswith("int"):
            return int(text)
        if kind.startswith("float"):
            return float(text)
    except ValueError:
        wanted = "whole number" if kind.startswith("int") else "number" if kind.startswith("float") else "yes or no"
        raise InvalidParameter(f"'{f.name}' must be a {wanted}, not '{value}'.") from None
    return text


def _check_range(f: dataclasses.Field, value: Any) -> None:
    meta = f.metadata
    if value is None:
        if "None" not in str(f.type):
            raise InvalidParameter(f"'{f.name}' needs a value.")
        return
    if meta["choices"] and value not in meta["choices"]:
        raise InvalidParameter(f"'{f.name}' must be one of {', '.join(meta['choices'])}, not '{value}'.")
    if isinstance(value, bool) or isinstance(value, str):
        return
    if value != value:  # NaN
        raise InvalidParameter(f"'{f.name}' must be a number.")
    lo, hi = meta["min"], meta["max"]
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise InvalidParameter(f"'{f.name}' must be between {lo} and {hi}, not {value}.")


class LayerWeight(NamedTuple):
    layer: str
    weight: float


def parse_layers(text: str) -> list[LayerWeight]:
    """``"block10"`` or ``"block8=0.5,block10"``; an empty string means the model's default layer."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, weight = part.partition("=")
        try:
            out.append(LayerWeight(name.strip(), float(weight) if weight else 1.0))
        except ValueError:
            raise InvalidParameter(f"Layer weight in '{part}' must be a number, as in block10=0.5.") from None
    return out


class ChannelChoice(NamedTuple):
    strongest: int  # 0 when explicit indices are given
    indices: tuple[int, ...]


def parse_channels(text: str) -> ChannelChoice | None:
    """``"strongest:N"`` or ``"i,j,k"``; an empty string means every channel of the layer."""
    text = text.strip()
    if not text:
        return None
    try:
        if text.startswith("strongest"):
            count = int(text.partition(":")[2] or 1)
            if count < 1:
                raise ValueError
            return ChannelChoice(count, ())
        indices = tuple(int(i) for i in text.split(","))
        if min(indices) < 0:
            raise ValueError
        return ChannelChoice(0, indices)
    except ValueError:
        raise InvalidParameter(
            f"Channels must be 'strongest:N' or a list of channel numbers like '3,17,42', not '{text}'."
        ) from None


def check_model_layers(params: DreamParams) -> None:
    """Refuse unknown models and layers, and channel numbers a layer does not have, without loading any weights."""
    spec = get_model(params.model)
    choice = parse_channels(params.channels)
    for name, _ in parse_layers(params.layer) or [(spec.default_layer, 1.0)]:
        if name not in spec.layers:
            raise UnknownLayer(f"Model '{spec.name}' has no layer '{name}'. Its layers are: {', '.join(spec.layers)}.")
        count = spec.layers[name].channels
        bad = [i for i in (choice.indices if choice else ()) if i >= count]
        if bad:
            raise InvalidParameter(f"Layer '{name}' has {count} channels (0 to {count - 1}); {bad[0]} is out of range.")


@dataclass(frozen=True)
class ZoomSettings:
    frames: int = 120
    zoom: float = 1.05  # enlargement per frame
    rotate: float = 0.0  # degrees per frame
    drift_x: float = 0.0  # pixels per frame
    drift_y: float = 0.0
    steps_per_frame: int = 5
    blend: float = 0.0  # 0: the dreamed frame as is; up to 0.9: that share of the undreamed zoomed frame kept
    stabilize: bool = True  # correct the drift of brightness, contrast and colour

    def validated(self) -> ZoomSettings:
        checks = [
            (1 <= self.frames <= 100_000, "'frames' must be between 1 and 100000"),
            (1.0 <= self.zoom <= 2.0, "'zoom' must be between 1.0 and 2.0"),
            (-45.0 <= self.rotate <= 45.0, "'rotate' must be between -45 and 45 degrees per frame"),
            (abs(self.drift_x) <= 256 and abs(self.drift_y) <= 256, "drift must be at most 256 pixels per frame"),
            (1 <= self.steps_per_frame <= 200, "'steps_per_frame' must be between 1 and 200"),
            (0.0 <= self.blend <= 0.9, "'blend' must be between 0 and 0.9"),
        ]
        for ok, message in checks:
            if not ok:
                raise InvalidParameter(message + ".")
        return self
