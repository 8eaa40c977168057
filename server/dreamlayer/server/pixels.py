"""Raw pixel buffers as editors hand them over, to float pictures and back, in the same layout and depth.

Editor plugins have no image library, so they send the layer's bytes as they are: RGBA or BGRA (Krita's integer
layout) or RGB, in 8 or 16-bit integers or 16 or 32-bit floats, little-endian. Float values outside 0..1 (HDR)
are clipped for dreaming; that is where the network's training data lived.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import InvalidParameter
from ..images import Picture, from_floats, to_floats

# The element type of each depth that ``dreamlayer.params.uploads.DEPTHS`` names.
DTYPES = {"u8": np.dtype("u1"), "u16": np.dtype("<u2"), "f16": np.dtype("<f2"), "f32": np.dtype("<f4")}


class RawFormat(NamedTuple):
    width: int
    height: int
    layout: str
    depth: str

    @property
    def byte_count(self) -> int:
        return self.width * self.height * len(self.layout) * DTYPES[self.depth].itemsize


def decode_raw(data: bytes, fmt: RawFormat) -> Picture:
    if len(data) != fmt.byte_count:
        raise InvalidParameter(
            f"The pixel data is {len(data):,} bytes, but {fmt.width}×{fmt.height} {fmt.layout} {fmt.depth} "
            f"needs exactly {fmt.byte_count:,}."
        )
    values = np.frombuffer(data, DTYPES[fmt.depth]).reshape(fmt.height, fmt.width, len(fmt.layout))
    # Each plane is converted straight from the buffer's view: no second copy of a big layer.
    rgb = to_floats(values[..., [fmt.layout.index(c) for c in "RGB"]])
    alpha = to_floats(values[..., fmt.layout.index("A")]) if "A" in fmt.layout else None
    return Picture(rgb, alpha)


def encode_raw(picture: Picture, fmt: RawFormat) -> bytes:
    dtype = DTYPES[fmt.depth]
    out = np.empty((fmt.height, fmt.width, len(fmt.layout)), dtype)
    planes = {"R": picture.rgb[..., 0], "G": picture.rgb[..., 1], "B": picture.rgb[..., 2], "A": picture.alpha}
    for index, channel in enumerate(fmt.layout):
        plane = planes[channel]
        out[..., index] = from_floats(np.ones((), np.float32) if plane is None else plane, dtype)  # no alpha: opaque
    return out.tobytes()


def decode_raw_mask(data: bytes, width: int, height: int, depth: str) -> np.ndarray:
    dtype = DTYPES[depth]
    expected = width * height * dtype.itemsize
    if len(data) != expected:
        raise InvalidParameter(f"The mask is {len(data):,} bytes, but a {width}×{height} {depth} mask needs {expected:,}.")
    return to_floats(np.frombuffer(data, dtype).reshape(height, width))
