"""What the plug-in reads from and writes into GIMP images, in plain Python (no GIMP, so it is tested on its own).

GIMP hands pixels out through Gegl buffers in any babl format asked for. 8 and 16-bit images are read as their own
integers, "R'G'B'A u8" and "R'G'B'A u16": the server turns those into floats by the same rule as a PNG of that
depth, so the dream is the CLI's on the same picture (GIMP's own integer-to-float conversion need not round as that
rule does: GIMP 3.2's differs in the last bit). Every other precision is read as "R'G'B'A float". All non-linear,
as the network was trained on sRGB pictures; the result goes back in the same format.
"""

from __future__ import annotations

import re

from plugin_errors import DreamError

# The settings a dream or film was made with, kept on its layer (or film image) and saved in XCF files.
SETTINGS_PARASITE = "dreamlayer-settings"
DELAY = re.compile(r"\(\s*\d+\s*ms\s*\)")  # a frame's delay in its layer's name, as GIMP's GIF and WebP export read it


def pixel_format(precision_name: str) -> tuple[str, str, str]:
    """(babl format, raw layout, raw depth) for a GIMP precision such as 'U8_NON_LINEAR' or 'FLOAT_LINEAR'."""
    if precision_name.startswith("U8_"):
        return "R'G'B'A u8", "RGBA", "u8"
    if precision_name.startswith("U16_"):
        return "R'G'B'A u16", "RGBA", "u16"
    return "R'G'B'A float", "RGBA", "f32"


def check_base_type(base_type_name: str) -> None:
    if base_type_name != "RGB":
        mode = {"GRAY": "grayscale", "INDEXED": "indexed"}.get(base_type_name, base_type_name.lower())
        raise DreamError(f"DeepDream needs an RGB image, and this one is {mode}. "
                         "Use Image > Mode > RGB, then try again.")


def frame_layer_name(index: int, fps: float) -> str:
    """GIMP's animation convention: the frame's delay in the layer name, as GIF and WebP export read it."""
    return f"Frame {index + 1} ({round(1000 / fps)}ms)"


def with_delay(name: str, milliseconds: int) -> str:
    """A frame layer's name with its delay set: '(83ms)' replaced, or added at the end."""
    delay = f"({milliseconds}ms)"
    replaced, count = DELAY.subn(delay, name, count=1)
    return replaced if count else f"{name} {delay}"
