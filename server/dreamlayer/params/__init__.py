"""The one description of every setting: dreams, zoom films, presets, and what a request says about its pictures.

Each group is a frozen dataclass of knobs (``knobs.py``): type, default, range or choices, a painter's label and a
line of help. Everything else derives from it: the CLI flags, the server's parsing, the OpenAPI schemas,
``/v1/settings``, and the editors' knobs (the plugins ask the server, or read the copy written at install).
A new setting is added here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from .atlas import AtlasSettings
from .dream import (
    ChannelChoice, DreamParams, LayerWeight, default_edge_softness, default_scale, parse_channels, parse_layers,
)
from .live import LiveSettings
from .knobs import Knobs, Setting, parse_bool
from .presets import DEFAULT_PRESET, PRESETS, preset_params
from .uploads import DreamUpload, VideoUpload, ZoomUpload
from .video import VideoSettings
from .zoom import ZoomSettings

__all__ = [
    "DEFAULT_PRESET", "PRESETS", "ChannelChoice", "DreamParams", "DreamUpload", "Knobs", "LayerWeight", "LiveSettings", "Setting",
    "VideoSettings", "VideoUpload", "ZoomSettings", "ZoomUpload", "default_edge_softness", "default_scale", "describe", "parse_bool",
    "parse_channels", "parse_layers", "preset_params",
]


def describe() -> dict[str, Any]:
    """Every setting and preset, as ``/v1/settings`` serves it and the plugins build their knobs from it."""
    return {
        "dream": DreamParams.describe(),
        "zoom": ZoomSettings.describe(),
        "video": VideoSettings.describe(),
        "atlas": AtlasSettings.describe(),
        "live": LiveSettings.describe(),
        "zoom_replaces": dict(ZoomSettings.REPLACES),  # dream settings a zoom names otherwise (steps: steps_per_frame)
        "presets": {name: {"description": p.description, "values": preset_params(name).to_dict()}
                    for name, p in PRESETS.items()},
        "default_preset": DEFAULT_PRESET,
    }
