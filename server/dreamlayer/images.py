"""Reading and writing picture files: the edge where bytes become float arrays and back.

Pictures travel inside dreamlayer as float32 numpy arrays in 0..1: RGB (H, W, 3) plus, when the file had one,
an alpha plane (H, W). PNG output records the dream's parameters in a ``dreamlayer`` text chunk, so a result can be
reproduced from the file alone.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from PIL import Image, PngImagePlugin

from . import __version__
from .errors import ImageReadError, ImageTooLarge

METADATA_KEY = "dreamlayer"
# Formats we decode; everything else (EPS and PDF above all, which would run Ghostscript) is refused.
READABLE_FORMATS = ("PNG", "JPEG", "WEBP", "TIFF")
# 16384² pixels: the largest picture the CLI opens. The server sets its own, smaller, limit.
CLI_MAX_PIXELS = 16384 * 16384
# Each caller passes its own pixel limit to open_image, which checks the header's size before any pixel is
# decoded; Pillow's one global limit would be wrong for either the CLI or the server.
Image.MAX_IMAGE_PIXELS = None


class Picture(NamedTuple):
    rgb: np.ndarray  # (H, W, 3) float32 in 0..1
    alpha: np.ndarray | None  # (H, W) float32 in 0..1, or None when the source had no alpha
    source_format: str | None = None  # PNG, JPEG, WEBP or TIFF when decoded from a file

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), as Pillow and editors count."""
        return self.rgb.shape[1], self.rgb.shape[0]


def open_image(source: str | Path | bytes, max_pixels: int = CLI_MAX_PIXELS) -> Image.Image:
    """Open a picture from a path or bytes, refusing other formats and over-large ones before decoding pixels."""
    name = "the upload" if isinstance(source, bytes) else f"'{source}'"
    if not isinstance(source, bytes) and not Path(source).is_file():
        raise ImageReadError(f"There is no file {name}.")
    try:
        image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source, formats=READABLE_FORMATS)
    except Exception:  # noqa: BLE001 - UnidentifiedImageError, OSError, and worse for hostile bytes
        raise ImageReadError(f"Can't read {name}: it is not a PNG, JPEG, WebP or TIFF picture.") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageTooLarge(f"{name[0].upper() + name[1:]} is {width}×{height}, more than the {max_pixels:,} pixels allowed here.")
    return image


def load_picture(source: str | Path | bytes, max_pixels: int = CLI_MAX_PIXELS) -> Picture:
    """Decode a picture into float RGB and, when it has transparency, alpha."""
    with open_image(source, max_pixels) as image:
        return _decode(image)


def _decode(image: Image.Image) -> Picture:
    try:
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
        if image.mode in ("I;16", "I;16B", "I", "F"):
            # 16-bit and float grey: keep the precision rather than truncate to 8 bits.
            grey = np.asarray(image, dtype=np.float32)
            grey = grey / (65535.0 if image.mode != "F" else max(1.0, float(grey.max())))
            return Picture(np.repeat(grey[..., None], 3, axis=2).clip(0, 1), None, image.format)
        data = np.asarray(image.convert("RGBA" if has_alpha else "RGB"), dtype=np.float32) / 255.0
    except Exception as exc:  # noqa: BLE001 - hostile bytes make Pillow's decoders raise all kinds of errors
        raise ImageReadError(f"Can't read the picture: the file is damaged or cut short ({exc}).") from None
    if has_alpha:
        return Picture(np.ascontiguousarray(data[..., :3]), np.ascontiguousarray(data[..., 3]), image.format)
    return Picture(data, None, image.format)


def load_mask(source: str | Path | bytes, size: tuple[int, int], max_pixels: int = CLI_MAX_PIXELS) -> np.ndarray:
    """A grey picture as a float 0..1 map (white = dream), which must match the picture's (width, height)."""
    with open_image(source, max_pixels) as image:
        if image.size != size:
            raise ImageReadError(
                f"The mask is {image.size[0]}×{image.size[1]} but the picture is {size[0]}×{size[1]}; they must match."
            )
        return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def to_uint8(values: np.ndarray) -> np.ndarray:
    return (np.clip(values, 0, 1) * 255 + 0.5).astype(np.uint8)


# File extensions we write, and the Pillow format of each.
FORMAT_BY_SUFFIX = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}


def encode_picture(picture: Picture, image_format: str, params: dict[str, Any] | None = None) -> bytes:
    """Encode RGB(A) as PNG, JPEG, WebP or TIFF; alpha is kept where the format can hold it, and PNGs also
    carry the dream's parameters."""
    rgb = to_uint8(picture.rgb)
    keep_alpha = picture.alpha is not None and image_format != "JPEG"
    pixels = np.dstack([rgb, to_uint8(picture.alpha)]) if keep_alpha else rgb
    image = Image.fromarray(pixels, "RGBA" if keep_alpha else "RGB")
    options: dict[str, Any] = {"quality": 95} if image_format in ("JPEG", "WEBP") else {}
    if image_format == "PNG" and params is not None:
        info = PngImagePlugin.PngInfo()
        info.add_text(METADATA_KEY, json.dumps({"version": __version__, "params": params}, sort_keys=True))
        options["pnginfo"] = info
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def save_picture(picture: Picture, path: str | Path, params: dict[str, Any] | None = None) -> None:
    """Write a picture in the format its file extension names."""
    path = Path(path)
    image_format = FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if image_format is None:
        raise ImageReadError(f"Can't write '{path}': use one of {', '.join(FORMAT_BY_SUFFIX)}.")
    try:
        path.write_bytes(encode_picture(picture, image_format, params))
    except OSError as exc:
        raise ImageReadError(f"Can't write '{path}': {exc.strerror or exc}.") from None


def read_params(path: str | Path) -> dict[str, Any]:
    """The parameters a dreamlayer PNG was made with."""
    with open_image(path) as image:
        text = image.info.get(METADATA_KEY)
    if text is None:
        raise ImageReadError(f"'{path}' holds no dreamlayer settings; only PNGs written by dreamlayer do.")
    return json.loads(text)["params"]
