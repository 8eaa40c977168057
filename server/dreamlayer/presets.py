"""Named starting points. Each preset only overrides ``DreamParams`` defaults; every value can be overridden again.

- gentle: a light touch, soft swirls and textures from an early layer; keeps the picture readable.
- classic: the 2015 recipe (4 octaves at 1.4, 10 steps, jitter 32) on EfficientNet-Lite0 block 10: eyes, fur, arches.
- deep: more octaves, more steps and a deeper layer: whole creatures and buildings take over the picture.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidParameter
from .params import DreamParams

DEFAULT_PRESET = "classic"

PRESETS: dict[str, dict[str, Any]] = {
    "gentle": {"layer": "block7", "octaves": 3, "steps": 6, "step_size": 1.0},
    "classic": {},
    "deep": {"layer": "block12", "octaves": 5, "steps": 16, "step_size": 2.0},
}

PRESET_DESCRIPTIONS = {
    "gentle": "Soft swirls and textures; the picture stays readable.",
    "classic": "The 2015 DeepDream look: eyes, fur and arches.",
    "deep": "Creatures and buildings take over the picture.",
}


def preset_params(name: str = DEFAULT_PRESET) -> DreamParams:
    try:
        overrides = PRESETS[name]
    except KeyError:
        raise InvalidParameter(f"Unknown preset '{name}'. Choose one of: {', '.join(PRESETS)}.") from None
    return DreamParams().replace(**overrides)
