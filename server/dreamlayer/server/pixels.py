"""Raw pixel buffers as editors hand them over, to float pictures and back, in the same layout and depth.

Editor plugins have no image library, so they send the layer's bytes as they are: RGBA or BGRA (Krita's integer
layout) or RGB, in 8 or 16-bit integers or 16 or 32-bit floats, little-endian. Float values outside 0..1 (HDR)
are clipped for dreaming; that is where the network's training data lived.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import InvalidParameter
from ..images import Picture

LAYOUTS = ("RGBA", "BGRA", "RGB")
DTYPES = {"u8": np.dtype("u1"), "u16": np.dtype("<u2"), "f16": np.dtype("<f2"), "f32": np.dtype("<f4")}
MASK_DEPTHS = ("u8", "f32")


class RawFormat(NamedTuple):
    width: int
    height: int
    layout: str
    depth: str

    @property
    def byte_count(self) -> int:
        return self.width * self.height * len(self.layout) * DTYPES[self.depth].itemsize


def _scale(depth: str) -> float:
    dtype = DTYPES[depth]
    return float(np.iinfo(dtype).max) if dtype.kind == "u" else 1.0


def decode_raw(data: bytes, fmt: RawFormat) -> Picture:
    if len(data) != fmt.byte_count:
        raise InvalidParameter(
            f"The pixel data is {len(data):,} bytes, but {fmt.width}×{fmt.height} {fmt.layout} {fmt.depth} "
            f"needs exactly {fmt.byte_count:,}."
        )
    values = np.frombuffer(data, DTYPES[fmt.depth]).reshape(fmt.height, fmt.width, len(fmt.layout))
    values = np.nan_to_num(values.astype(np.float32) / _scale(fmt.depth), nan=0.0).clip(0, 1)
    order = [fmt.layout.index(c) for c in "RGB"]
    alpha = np.ascontiguousarray(values[..., fmt.layout.index("A")]) if "A" in fmt.layout else None
    return Picture(np.ascontiguousarray(values[..., order]), alpha)


def encode_raw(picture: Picture, fmt: RawFormat) -> bytes:
    planes = {"R": picture.rgb[..., 0], "G": picture.rgb[..., 1], "B": picture.rgb[..., 2]}
    planes["A"] = picture.alpha if picture.alpha is not None else np.ones(picture.rgb.shape[:2], np.float32)
    values = np.stack([planes[c] for c in fmt.layout], axis=-1).clip(0, 1) * _scale(fmt.depth)
    dtype = DTYPES[fmt.depth]
    if dtype.kind == "u":
        values = np.rint(values)
    return values.astype(dtype).tobytes()


def decode_raw_mask(data: bytes, width: int, height: int, depth: str) -> np.ndarray:
    dtype = DTYPES[depth]
    expected = width * height * dtype.itemsize
    if len(data) != expected:
        raise InvalidParameter(f"The mask is {len(data):,} bytes, but a {width}×{height} {depth} mask needs {expected:,}.")
    values = np.frombuffer(data, dtype).reshape(height, width).astype(np.float32) / _scale(depth)
    return np.nan_to_num(values, nan=0.0).clip(0, 1)
