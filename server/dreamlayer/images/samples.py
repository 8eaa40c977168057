"""Stored samples to the engine's floats and back: the one rule every surface goes through.

A seed makes one picture everywhere only if every way a picture arrives (a file read here, a file uploaded, raw
pixels from an editor in any layout and depth) turns the same stored values into the same float32 bits. So there
is one conversion: an integer sample is divided by its type's full scale (255 for 8 bits, 65535 for 16), in float32;
a float sample is taken as it is, clipped to 0..1 (NaN counts as 0), since HDR values above 1 lie outside what the
network was trained on. Dividing matters: multiplying by 1/255 rounds differently in the last bit for some values,
and a dream magnifies a last-bit difference into visible levels.

A float32 sample that holds exactly what ``to_floats`` gives for an 8-bit value (``float32(k / 255)``, as editors
compute it) is the same bits as that 8-bit value read from a file, so an editor's float layer made from an 8-bit
picture dreams exactly as the file does.
"""

from __future__ import annotations

import numpy as np


def full_scale(dtype: np.dtype) -> float:
    """What an integer sample type's largest value means: 1.0 (white); float samples are already in 0..1."""
    dtype = np.dtype(dtype)
    return float(np.iinfo(dtype).max) if dtype.kind == "u" else 1.0


def to_floats(samples: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Stored samples (uint8, uint16 or floats) as a new float32 array in 0..1, or into ``out`` (float32, the same
    shape), which spares a big layer a second copy."""
    if samples.dtype.kind not in "uf":  # a signed integer has no agreed full scale: say which one it means
        raise TypeError(f"Picture samples must be unsigned integers or floats, not {samples.dtype}.")
    if out is None:
        out = np.empty(samples.shape, np.float32)
    np.copyto(out, samples, casting="unsafe")  # exact for 8 and 16-bit integers and half floats
    if samples.dtype.kind == "u":
        return np.divide(out, np.float32(full_scale(samples.dtype)), out=out)
    np.nan_to_num(out, copy=False, nan=0.0)
    return np.clip(out, 0, 1, out=out)


def from_floats(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float pixels in 0..1 as samples of ``dtype``: integers rounded to the nearest level, floats clipped."""
    dtype = np.dtype(dtype)
    clipped = np.clip(values, 0, 1)
    if dtype.kind == "u":
        return (clipped * np.float32(full_scale(dtype)) + np.float32(0.5)).astype(dtype)  # the cast truncates: +0.5 rounds
    return clipped.astype(dtype)


def to_uint8(values: np.ndarray) -> np.ndarray:
    return from_floats(values, np.uint8)


def to_uint16(values: np.ndarray) -> np.ndarray:
    return from_floats(values, np.uint16)
