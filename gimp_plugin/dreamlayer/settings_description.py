"""The settings description that `dreamlayer install-plugin gimp` writes beside the plug-in.

GIMP asks a plug-in for its procedures and their arguments when it starts, before any dream server need be
running, so the plug-in builds its arguments from this file (``dreamlayer_settings.json``, written from the
server's parameter model: ``{"settings": params.describe(), "models": catalog.describe_models()}``) rather than
from ``GET /v1/settings``.
"""

from __future__ import annotations

import json
import os
from typing import Any, NamedTuple

from plugin_errors import DreamError

SETTINGS_FILE = "dreamlayer_settings.json"


class Description(NamedTuple):
    dream: list[dict[str, Any]]  # one entry per dream setting: name, type, default, label, help, section, ...
    zoom: list[dict[str, Any]]  # a zoom film's own settings, described the same way
    video: list[dict[str, Any]]  # a video's (or an animation's) own settings
    presets: dict[str, dict[str, Any]]  # name -> {"description", "values": every dream setting}
    default_preset: str
    zoom_replaces: dict[str, str]  # dream settings a zoom names otherwise: steps -> steps_per_frame
    models: list[dict[str, Any]]  # name, title, default_layer, layers

    def preset_values(self, name: str) -> dict[str, Any]:
        try:
            return self.presets[name]["values"]
        except KeyError:
            raise DreamError(f"Unknown preset '{name}'. Choose one of: {', '.join(self.presets)}.") from None

    def model_layers(self) -> dict[str, list[str]]:
        """Each model's layer names, in the network's order."""
        return {model["name"]: [layer["name"] for layer in model["layers"]] for model in self.models}


def load_description(folder: str) -> Description:
    """The description installed in ``folder``; a DreamError that says how to reinstall when it is missing."""
    path = os.path.join(folder, SETTINGS_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        settings = data["settings"]
        return Description(settings["dream"], settings["zoom"], settings["video"], settings["presets"],
                           settings["default_preset"],
                           settings.get("zoom_replaces", {}), data["models"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DreamError(f"The plug-in's settings file ({path}) is missing or damaged ({exc}). "
                         "Reinstall the plug-in with `dreamlayer install-plugin gimp` and restart GIMP.") from None
