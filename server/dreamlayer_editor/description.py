"""What the knobs are built from: every setting and preset as the server describes them, and its models.

The description comes from the live server (``GET /v1/models``, which carries the same settings and presets as
``/v1/settings`` beside the models), or, while no server answers (and always for GIMP, which asks for its
procedures' arguments at start-up), from ``dreamlayer_settings.json``, which ``dreamlayer install-plugin`` writes
into the plugin's folder (``SETTINGS_FILE``). Either way it has the same shape:
``{"settings": {"dream": [...], "zoom": [...], "video": [...], "presets": {...}, "default_preset": ...},
"models": [...]}``. A video's settings are a group of their own: some share a zoom's names (steps_per_frame, fps),
so their values are kept apart (``checked(..., group="video")``).
The plugins know no setting of their own: names, types, ranges, defaults, labels and help all come from here.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .layers import DRAWN_SEEDS
from .shorthand import ShorthandError, parse_layers

log = logging.getLogger("dreamlayer")
SETTINGS_FILE = "dreamlayer_settings.json"  # in each plugin's folder


class DescriptionError(Exception):
    """The description is missing or malformed; the message says what to do."""


class Description(NamedTuple):
    dream: list[dict[str, Any]]  # each setting as the server describes it: name, type, default, label, help...
    zoom: list[dict[str, Any]]
    presets: dict[str, dict[str, Any]]  # name -> {"description", "values": every dream setting}
    default_preset: str
    models: list[dict[str, Any]]  # name, title, available, default_layer, layers
    zoom_replaces: dict[str, str]  # dream settings a zoom names otherwise: steps -> steps_per_frame
    video: list[dict[str, Any]] = []  # an animation's settings (a description from before videos has none)
    live: list[dict[str, Any]] = []  # Live Dream's settings (live_size, live_steps, ..., live_pause)

    @classmethod
    def from_json(cls, data: Any) -> Description:
        try:
            settings = data["settings"]
            description = cls(list(settings["dream"]), list(settings["zoom"]), dict(settings["presets"]),
                              str(settings["default_preset"]), list(data.get("models") or []),
                              dict(settings.get("zoom_replaces") or {}), list(settings.get("video") or []),
                              list(settings.get("live") or []))
            for setting in description.settings() + description.video:
                missing = [key for key in ("name", "type", "label", "help") if key not in setting]  # what any knob needs
                if missing:
                    raise KeyError(missing[0])
        except (KeyError, TypeError, ValueError) as exc:
            raise DescriptionError(f"The settings description is malformed (missing {exc}).") from None
        if description.default_preset not in description.presets:
            raise DescriptionError(f"The settings description has no preset '{description.default_preset}'.")
        return description

    @classmethod
    def load(cls, plugin_folder: str, editor: str) -> Description:
        """The copy written at install time into ``plugin_folder``; ``editor`` (krita, gimp) names the reinstall."""
        path = os.path.join(plugin_folder, SETTINGS_FILE)
        try:
            with open(path, encoding="utf-8") as f:
                return cls.from_json(json.load(f))
        except (OSError, ValueError, DescriptionError) as exc:
            raise DescriptionError(f"The settings installed with the plug-in ({path}) are missing or damaged ({exc}). "
                                   f"Reinstall it with `dreamlayer install-plugin {editor}` and restart the editor.") from None

    def settings(self) -> list[dict[str, Any]]:
        return self.dream + self.zoom

    def live_default(self, name: str, fallback: Any) -> Any:
        """A live setting's default (``live_pause``...), or ``fallback`` from a description older than Live."""
        return next((s["default"] for s in self.live if s["name"] == name), fallback)

    def model(self, name: str) -> dict[str, Any] | None:
        return next((m for m in self.models if m["name"] == name), None)

    def model_layers(self) -> dict[str, list[str]]:
        """Each model's layer names, in the network's order."""
        return {model["name"]: [layer["name"] for layer in model["layers"]] for model in self.models}

    def preset_values(self, name: str) -> dict[str, Any]:
        """The dream settings a preset runs (every one of them)."""
        try:
            return dict(self.presets[name]["values"])
        except KeyError:
            raise DescriptionError(f"Unknown preset '{name}'. Choose one of: {', '.join(self.presets)}.") from None

    def fit_layer_to_model(self, settings: dict[str, Any], layer_from_preset: bool) -> None:
        """A preset's layer belongs to the preset's network: with another network, that network's default layer
        runs (``settings`` changed in place). A layer chosen for a network that does not have it is refused before
        anything is sent."""
        layers = self.model_layers().get(settings["model"], [])
        try:
            names = [name for name, _ in parse_layers(settings["layer"])]
        except ShorthandError as exc:
            raise DescriptionError(str(exc)) from None
        misplaced = [name for name in names if name not in layers]
        if misplaced and layer_from_preset:
            settings["layer"] = ""
        elif misplaced:
            raise DescriptionError(f"The network '{settings['model']}' has no layer '{misplaced[0]}'. Choose one of "
                                   f"its layers ({', '.join(layers)}) or \"The network's default\".")

    def variation_seeds(self, first: int | None, count: int,
                        choose: Callable[[int, int], int] = random.SystemRandom().randint) -> list[int]:
        """``count`` consecutive seeds for a batch of variations: from ``first``, or, when the seed is random, from
        one ``choose(lowest, highest)`` picks below ``DRAWN_SEEDS``, as the server draws; all inside the seed's range."""
        seed = next((s for s in self.dream if s["name"] == "seed"), {})
        highest = seed.get("maximum", 2**31 - 1) - count + 1
        first = choose(0, min(highest, DRAWN_SEEDS - count)) if first is None else min(first, highest)
        return list(range(first, first + count))

    def checked(self, values: Mapping[str, Any], fill_from_preset: str | None = None, group: str = "") -> dict[str, Any]:
        """Every setting's value: the given one where it is valid, else the preset's (for dream settings) or the
        setting's default. Unknown names and bad values are logged and left out, so a stale or hand-edited
        settings file never stops the plugin. ``group="video"`` checks an animation's settings instead of the
        dream and zoom settings."""
        settings = self.video if group == "video" else self.settings()
        base = self.preset_values(fill_from_preset or self.default_preset) if group != "video" else {}
        for name in sorted(set(values) - {s["name"] for s in settings}):
            log.warning("dreamlayer: ignoring the unknown setting %s=%r", name, values[name])
        out = {}
        for setting in settings:
            name = setting["name"]
            fallback = base.get(name, setting.get("default"))
            if name in values and not is_valid(setting, values[name]):
                log.warning("dreamlayer: %s=%r is not valid here; using %r", name, values[name], fallback)
            out[name] = values[name] if name in values and is_valid(setting, values[name]) else fallback
        return out


def is_valid(setting: Mapping[str, Any], value: Any) -> bool:
    """Whether ``value`` is one the server accepts for ``setting``: its type, range or choices, or None (or an
    empty text) where the setting says what nothing means."""
    kind, optional = setting["type"], setting.get("none_means") is not None
    if value is None or (kind == "string" and value == "" and optional):
        return optional
    if "choices" in setting:
        return value in setting["choices"]
    if kind == "boolean" or isinstance(value, bool):
        return kind == "boolean" and isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer" and not isinstance(value, int):
        return False
    if not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value):
        return False
    return setting.get("minimum", -math.inf) <= value <= setting.get("maximum", math.inf)


def installed_version(plugin_folder: str) -> str:
    """The dreamlayer version the plugin was installed from, as the installer wrote it beside the settings."""
    try:
        with open(os.path.join(plugin_folder, SETTINGS_FILE), encoding="utf-8") as f:
            return str(json.load(f).get("version", "unknown"))
    except (OSError, ValueError, AttributeError):
        return "unknown"
