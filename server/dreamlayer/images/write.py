"""Writing results: as deep, as transparent and as well described as the input, or a clear refusal.

- Depth: a 16-bit input gives a 16-bit PNG or TIFF; JPEG and WebP hold 8 bits.
- Transparency: PNG, WebP and TIFF keep alpha. JPEG can't, so a picture with transparent pixels is refused for
  JPEG unless a colour to flatten it onto is given; a fully opaque alpha is simply dropped.
- Description: the colour profile and resolution are copied; a PNG also records the dream's settings.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageColor, PngImagePlugin

from ..errors import ImageWriteError
from .deep import encode_png16, encode_tiff16
from .picture import Picture
from .samples import to_uint8, to_uint16

# File extensions we write, and the Pillow format of each.
FORMAT_BY_SUFFIX = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}
ALPHA_FORMATS = ("PNG", "WEBP", "TIFF")
DEEP_FORMATS = ("PNG", "TIFF")
METADATA_KEY = "dreamlayer"


def output_format(path: str | Path) -> str:
    """The format a path's extension names, or a clear refusal."""
    image_format = FORMAT_BY_SUFFIX.get(Path(path).suffix.lower())
    if image_format is None:
        raise ImageWriteError(f"Can't write '{path}': use one of {', '.join(FORMAT_BY_SUFFIX)}.")
    return image_format


def check_output(path: str | Path) -> str:
    """Refuse an output whose extension or folder is wrong before any work is done; returns its format."""
    image_format = output_format(path)
    if not Path(path).parent.is_dir():
        raise ImageWriteError(f"Can't write '{path}': the folder '{Path(path).parent}' does not exist.")
    return image_format


def check_keeps_transparency(picture: Picture, image_format: str, flatten: str | None, path: str | Path = "") -> None:
    """A format without alpha must not silently show what transparency hid."""
    if image_format not in ALPHA_FORMATS and picture.has_transparency and flatten is None:
        raise ImageWriteError(
            f"'{path or image_format}' can't hold the picture's transparency. Write {', '.join(ALPHA_FORMATS)} "
            "(.png, .webp, .tif), or give --flatten COLOR (such as white or #202020) to fill it in."
        )


def parse_color(text: str) -> tuple[float, float, float]:
    try:
        return tuple(c / 255.0 for c in ImageColor.getrgb(text)[:3])  # type: ignore[return-value]
    except ValueError:
        raise ImageWriteError(f"'{text}' is not a colour; use a name like white or a value like #202020.") from None


def flatten(picture: Picture, color: str) -> Picture:
    """The picture over a solid colour, without alpha."""
    if picture.alpha is None:
        return picture
    alpha = picture.alpha[..., None]
    rgb = picture.rgb * alpha + np.asarray(parse_color(color), np.float32) * (1 - alpha)
    return picture._replace(rgb=rgb.astype(np.float32), alpha=None)


def encode_picture(picture: Picture, image_format: str, settings: dict[str, Any] | None = None) -> bytes:
    """Encode as PNG, JPEG, WebP or TIFF, keeping alpha, depth, profile and dpi where the format can."""
    keep_alpha = picture.alpha is not None and image_format in ALPHA_FORMATS
    text = {METADATA_KEY: json.dumps(settings, sort_keys=True)} if settings is not None and image_format == "PNG" else {}
    if picture.bits > 8 and image_format in DEEP_FORMATS:
        pixels = to_uint16(np.dstack([picture.rgb, picture.alpha]) if keep_alpha else picture.rgb)
        if image_format == "PNG":
            return encode_png16(pixels, picture.icc_profile, picture.dpi, text)
        return encode_tiff16(pixels, picture.icc_profile, picture.dpi)
    rgb = to_uint8(picture.rgb)
    image = Image.fromarray(np.dstack([rgb, to_uint8(picture.alpha)]) if keep_alpha else rgb, "RGBA" if keep_alpha else "RGB")
    options: dict[str, Any] = {"quality": 95} if image_format in ("JPEG", "WEBP") else {}
    if picture.icc_profile:
        options["icc_profile"] = picture.icc_profile
    if picture.dpi and image_format != "WEBP":
        options["dpi"] = picture.dpi
    if text:
        info = PngImagePlugin.PngInfo()
        for key, value in text.items():
            info.add_itxt(key, value)
        options["pnginfo"] = info
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def save_picture(picture: Picture, path: str | Path, settings: dict[str, Any] | None = None) -> None:
    """Write a picture in the format its file extension names."""
    image_format = output_format(path)
    try:
        Path(path).write_bytes(encode_picture(picture, image_format, settings))
    except OSError as exc:
        raise ImageWriteError(f"Can't write '{path}': {exc.strerror or exc}.") from None
