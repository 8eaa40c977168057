"""The docker's settings, saved as JSON outside the plugin folder so updates keep them.

A bad or missing value is logged and falls back to its default; a broken file never stops the plugin.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, fields
from typing import Any

from .client import DEFAULT_URL

log = logging.getLogger("dreamlayer_krita")


@dataclass
class Settings:
    server_url: str = DEFAULT_URL
    token: str = ""
    preset: str = "classic"
    model: str = "lite0"
    layer: str = ""  # empty: the model's default layer
    octaves: int = 4
    steps: int = 10
    step_size: float = 1.5
    strongest_channels: int = 0  # 0: the whole layer
    preserve_colors: bool = False
    seed: int = -1  # -1: a new random seed each time
    zoom_frames: int = 48
    zoom_factor: float = 1.05
    zoom_rotate: float = 0.0
    zoom_steps: int = 5  # dream steps per octave per frame
    zoom_fps: float = 24.0

    def dream_params(self) -> dict[str, Any]:
        """The settings as the server's dream fields."""
        params: dict[str, Any] = {
            "preset": self.preset, "model": self.model, "octaves": self.octaves, "steps": self.steps,
            "step_size": self.step_size, "preserve_colors": self.preserve_colors,
        }
        if self.layer:
            params["layer"] = self.layer
        if self.strongest_channels > 0:
            params["channels"] = f"strongest:{self.strongest_channels}"
        if self.seed >= 0:
            params["seed"] = self.seed
        return params


    def zoom_params(self) -> dict[str, Any]:
        """The settings as the server's zoom fields."""
        params = {k: v for k, v in self.dream_params().items() if k != "steps"}
        params.update(frames=self.zoom_frames, zoom=self.zoom_factor, rotate=self.zoom_rotate,
                      steps_per_frame=self.zoom_steps, fps=self.zoom_fps)
        return params


def load(path: str) -> Settings:
    settings = Settings()
    try:
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
    except FileNotFoundError:
        return settings
    except (OSError, ValueError) as exc:
        log.warning("dreamlayer: ignoring unreadable settings file %s (%s)", path, exc)
        return settings
    for f in fields(Settings):
        if f.name not in stored:
            continue
        value, default = stored[f.name], getattr(settings, f.name)
        if isinstance(default, bool) != isinstance(value, bool) or not isinstance(value, type(default)):
            if not (isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool)):
                log.warning("dreamlayer: setting %s=%r is not a %s; using %r", f.name, value, type(default).__name__, default)
                continue
        setattr(settings, f.name, type(default)(value))
    return settings


def save(settings: Settings, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(asdict(settings), f, indent=2, sort_keys=True)
    os.replace(temporary, path)
