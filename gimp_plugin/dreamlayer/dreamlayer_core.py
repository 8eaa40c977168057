"""The GIMP plug-in's host-neutral part: no GIMP, no GObject, so it is tested on its own.

GIMP hands pixels out through Gegl buffers in any babl format we ask for. 8-bit images are read as
"R'G'B'A u8"; every deeper precision as "R'G'B'A float" (non-linear, as the network was trained on sRGB
pictures), and the result goes back in the same format.
"""

from __future__ import annotations

from typing import Any

PROCEDURE = "python-fu-dreamlayer"
ZOOM_PROCEDURE = "python-fu-dreamlayer-zoom"
# GIMP's Cancel button ends the plug-in outright; the server then cancels the job once nobody has asked about it
# for this many seconds (the plug-in asks several times a second while it runs).
LEASE_SECONDS = 10
PRESETS = ("classic", "gentle", "deep")


class DreamError(Exception):
    """A dream could not be made; the message is for the artist."""


def pixel_format(precision_name: str) -> tuple[str, str, str]:
    """(babl format, raw layout, raw depth) for a GIMP precision such as 'U8_NON_LINEAR' or 'FLOAT_LINEAR'."""
    if precision_name.startswith("U8_"):
        return "R'G'B'A u8", "RGBA", "u8"
    return "R'G'B'A float", "RGBA", "f32"


def check_base_type(base_type_name: str) -> None:
    if base_type_name != "RGB":
        mode = {"GRAY": "grayscale", "INDEXED": "indexed"}.get(base_type_name, base_type_name.lower())
        raise DreamError(f"DeepDream needs an RGB image, and this one is {mode}. Use Image > Mode > RGB, then try again.")


def dream_params(values: dict[str, Any]) -> dict[str, Any]:
    """The procedure's arguments as the server's dream fields; empty strings and negative seeds mean 'default'."""
    params = {
        "preset": values["preset"], "model": values["model"], "octaves": values["octaves"], "steps": values["steps"],
        "step_size": values["step-size"], "preserve_colors": values["preserve-colors"], "lease": LEASE_SECONDS,
    }
    if values.get("layer"):
        params["layer"] = values["layer"]
    if values.get("seed", -1) >= 0:
        params["seed"] = values["seed"]
    return params


def layer_name(preset: str, existing: set[str]) -> str:
    base = f"Dream ({preset})"
    if base not in existing:
        return base
    n = 2
    while f"{base} #{n}" in existing:
        n += 1
    return f"{base} #{n}"


def zoom_params(values: dict[str, Any]) -> dict[str, Any]:
    """The zoom procedure's arguments as the server's zoom fields."""
    params = {"preset": values["preset"], "frames": values["frames"], "zoom": values["zoom"], "rotate": values["rotate"],
              "steps_per_frame": values["steps-per-frame"], "fps": values["fps"], "format": "webp", "lease": LEASE_SECONDS}
    if values.get("seed", -1) >= 0:
        params["seed"] = values["seed"]
    return params


def frame_layer_name(index: int, fps: float) -> str:
    """GIMP's animation convention: the frame's delay in the layer name, as GIF and WebP export read it."""
    return f"Frame {index + 1} ({round(1000 / fps)}ms)"
