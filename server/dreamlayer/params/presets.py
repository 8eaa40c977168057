"""Named starting points. A preset is a few settings; every other setting keeps its default, and every one of them
can be changed again after choosing the preset.

- gentle: a light touch, soft swirls and textures from an early layer; keeps the picture readable.
- classic: the 2015 recipe (4 octaves at 1.4, 10 steps, jitter 32) on EfficientNet-Lite0 block 10: eyes, fur, arches.
- deep: more octaves, more steps and a deeper layer: whole creatures and buildings take over the picture.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..errors import InvalidParameter
from .dream import DreamParams

DEFAULT_PRESET = "classic"


class Preset(NamedTuple):
    description: str
    changes: dict[str, Any]  # the settings that differ from DreamParams' defaults


PRESETS: dict[str, Preset] = {
    "gentle": Preset("Soft swirls and textures; the picture stays readable.",
                     {"layer": "block7", "octaves": 3, "steps": 6, "step_size": 1.0}),
    "classic": Preset("The 2015 DeepDream look: eyes, fur and arches.", {}),
    "deep": Preset("Creatures and buildings take over the picture.",
                   {"layer": "block12", "octaves": 5, "steps": 16, "step_size": 2.0}),
}


def preset_params(name: str = DEFAULT_PRESET) -> DreamParams:
    try:
        preset = PRESETS[name]
    except KeyError:
        raise InvalidParameter(f"Unknown preset '{name}'. Choose one of: {', '.join(PRESETS)}.") from None
    return DreamParams().replace(**preset.changes)
