"""Reading picture files: only PNG, JPEG, WebP and TIFF, with the size checked before any pixel is decoded.

8-bit pictures are decoded by Pillow, 16-bit PNG and TIFF by ``deep`` (Pillow would cut them to 8 bits).
Grey pictures come in as RGB: the dream adds colour. The colour profile and resolution are kept with the pixels.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import ImageReadError, ImageTooLarge
from .deep import decode_16bit, png_bit_depth
from .picture import Picture
from .samples import to_floats

# Formats we decode; everything else (EPS and PDF above all, which would run Ghostscript) is refused.
READABLE_FORMATS = ("PNG", "JPEG", "WEBP", "TIFF")
# How each readable format's files begin, to tell a damaged picture from something that is no picture at all.
_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"RIFF", b"II*\x00", b"MM\x00*")
# 16384² pixels: the largest picture the CLI opens. The server sets its own, smaller, limit.
CLI_MAX_PIXELS = 16384 * 16384
# Each caller passes its own pixel limit to open_image, which checks the header's size before any pixel is
# decoded; Pillow's one global limit would be wrong for either the CLI or the server.
Image.MAX_IMAGE_PIXELS = None


def _read_bytes(source: str | Path | bytes) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, "the upload"
    path = Path(source)
    if not path.is_file():
        raise ImageReadError(f"There is no file '{source}'.")
    try:
        return path.read_bytes(), f"'{source}'"
    except OSError as exc:
        raise ImageReadError(f"Can't read '{source}': {exc.strerror or exc}.") from None


def open_image(data: bytes, name: str, max_pixels: int = CLI_MAX_PIXELS) -> Image.Image:
    """Open a picture's header, refusing other formats and over-large pictures before any pixel is decoded."""
    try:
        image = Image.open(io.BytesIO(data), formats=READABLE_FORMATS)
    except Exception:  # noqa: BLE001 - UnidentifiedImageError, OSError, and worse for hostile bytes
        if data.startswith(_SIGNATURES):
            raise ImageReadError(f"Can't read {name}: the file is damaged or cut short.") from None
        raise ImageReadError(f"Can't read {name}: it is not a PNG, JPEG, WebP or TIFF picture.") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageTooLarge(f"{name[0].upper() + name[1:]} is {width}×{height}, more than the {max_pixels:,} pixels allowed here.")
    return image


def load_picture(source: str | Path | bytes, max_pixels: int = CLI_MAX_PIXELS) -> Picture:
    """Decode a picture into float RGB and, when it has transparency, alpha, keeping its depth, profile and dpi."""
    data, name = _read_bytes(source)
    with open_image(data, name, max_pixels) as image:
        try:
            picture = _decode(image, data)
        except ImageReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - hostile bytes make decoders raise all kinds of errors
            raise ImageReadError(f"Can't read {name}: the file is damaged or cut short ({exc}).") from None
    return picture


def _bits(image: Image.Image, data: bytes) -> int:
    if image.format == "PNG":
        return png_bit_depth(data)
    if image.format == "TIFF":
        return max(getattr(image, "tag_v2", {}).get(258, (8,)))
    return 8


def _decode(image: Image.Image, data: bytes) -> Picture:
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La") or (image.mode == "P" and "transparency" in image.info)
    bits = _bits(image, data)
    description = {"source_format": image.format, "icc_profile": image.info.get("icc_profile"),
                   "dpi": _dpi(image)}
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and float grey: keep the precision rather than cut it to 8 bits.
        grey = to_floats(_grey_samples(image))
        return Picture(np.repeat(grey[..., None], 3, axis=2), None, bits=16, **description)
    if bits == 16 and image.mode in ("RGB", "RGBA"):
        values = to_floats(decode_16bit(data, image.format, has_alpha))
    else:
        bits = 8
        values = to_floats(np.asarray(image.convert("RGBA" if has_alpha else "RGB")))
    if has_alpha:
        return Picture(np.ascontiguousarray(values[..., :3]), np.ascontiguousarray(values[..., 3]), bits=bits, **description)
    return Picture(values, None, bits=bits, **description)


def _grey_samples(image: Image.Image) -> np.ndarray:
    """A deep grey picture's samples in a type ``to_floats`` knows: Pillow widens 16-bit grey to 32-bit integers
    (mode I), which hold 0..65535; float grey (mode F) is taken as 0..1 like any float sample."""
    if image.mode == "F":
        return np.asarray(image, dtype=np.float32)
    return np.asarray(image).clip(0, 65535).astype(np.uint16)


def _dpi(image: Image.Image) -> tuple[float, float] | None:
    dpi = image.info.get("dpi")
    if not dpi or not all(float(d) > 0 for d in dpi):
        return None
    return float(dpi[0]), float(dpi[1])


def load_mask(source: str | Path | bytes, size: tuple[int, int], max_pixels: int = CLI_MAX_PIXELS) -> np.ndarray:
    """A grey picture as a float 0..1 map (white = dream), which must match the picture's (width, height)."""
    data, name = _read_bytes(source)
    with open_image(data, name, max_pixels) as image:
        if image.size != size:
            raise ImageReadError(
                f"The mask is {image.size[0]}×{image.size[1]} but the picture is {size[0]}×{size[1]}; they must match."
            )
        try:
            if image.mode in ("I;16", "I;16B", "I;16L", "I"):
                return to_floats(_grey_samples(image))
            return to_floats(np.asarray(image.convert("L")))
        except Exception as exc:  # noqa: BLE001
            raise ImageReadError(f"Can't read the mask {name}: the file is damaged or cut short ({exc}).") from None
