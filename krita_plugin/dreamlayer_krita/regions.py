"""Host-neutral pixel bookkeeping for the Krita adapter: no Krita, no Qt, so it is tested on its own.

Krita hands out a layer's pixels in its own byte order: integer depths as B, G, R, A and float depths as
R, G, B, A (libkis Node.pixelData). The server accepts both layouts, so bytes travel untouched both ways.
"""

from __future__ import annotations

import array
import struct
from typing import NamedTuple, TypeVar

T = TypeVar("T")

# Krita colour depth -> (layout, depth) of the raw upload.
RAW_FORMATS = {"U8": ("BGRA", "u8"), "U16": ("BGRA", "u16"), "F16": ("RGBA", "f16"), "F32": ("RGBA", "f32")}


class UnsupportedDocument(Exception):
    """The document or layer cannot be dreamed; the message says why and what to do."""


class Bounds(NamedTuple):
    x: int
    y: int
    width: int
    height: int

    @property
    def empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    def intersect(self, other: "Bounds") -> "Bounds":
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1, y1 = min(self.x + self.width, other.x + other.width), min(self.y + self.height, other.y + other.height)
        return Bounds(x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def raw_format(color_model: str, color_depth: str) -> tuple[str, str]:
    if color_model != "RGBA":
        raise UnsupportedDocument(
            f"dreamlayer works on RGB images, and this one is {color_model}. "
            "Convert it with Image > Convert Image Color Space, then dream again."
        )
    try:
        return RAW_FORMATS[color_depth]
    except KeyError:
        raise UnsupportedDocument(f"The colour depth {color_depth} is not supported; use 8 or 16-bit integer, or 16 or 32-bit float.") from None


def region_to_dream(document: Bounds, layer: Bounds, selection: Bounds | None) -> Bounds:
    """The part of the document sent to the server: the selection's bounding box, else the layer's, on the canvas."""
    region = (selection if selection is not None else layer).intersect(document)
    if region.empty:
        where = "selection" if selection is not None else "layer"
        raise UnsupportedDocument(f"The {where} is empty or outside the canvas: there is nothing to dream.")
    return region


def to_rgba8(data: bytes, layout: str, depth: str) -> bytes:
    """Raw pixels in Krita's layout and depth as 8-bit RGBA, for a PNG (the start picture of a zoom)."""
    if depth == "u8":
        src = data
    elif depth == "u16":
        src = data[1::2]  # little-endian: the high byte of each channel
    else:
        count = len(data) // (2 if depth == "f16" else 4)
        values = struct.unpack(f"<{count}{'e' if depth == 'f16' else 'f'}", data)
        src = bytes(min(255, max(0, int(v * 255 + 0.5))) if v == v else 0 for v in values)
    out = bytearray(len(src))
    for target, channel in enumerate("RGBA"):
        out[target::4] = src[layout.index(channel)::4]
    return bytes(out)


def _byte_tables(fmt: str) -> list[bytes]:
    """For each byte of one packed channel value, a bytes.translate table from the 8-bit value v to that byte of
    the value v/255 packed as fmt: expanding a frame then runs at C speed (a 512x512 frame is 1M channels)."""
    packed = [struct.pack(fmt, v / 255) for v in range(256)]
    return [bytes(value[i] for value in packed) for i in range(struct.calcsize(fmt))]


def from_bgra8(data: bytes, layout: str, depth: str) -> bytes:
    """8-bit B, G, R, A pixels (a decoded zoom frame) in Krita's layout and depth: to_rgba8 the other way round."""
    src = data
    if layout != "BGRA":
        reordered = bytearray(len(data))
        for target, channel in enumerate(layout):
            reordered[target::4] = data["BGRA".index(channel)::4]
        src = bytes(reordered)
    if depth == "u8":
        return src
    if depth == "u16":
        tables = [bytes(range(256))] * 2  # v * 257: the same byte twice
    else:
        tables = _byte_tables("<e" if depth == "f16" else "<f")
    out = bytearray(len(src) * len(tables))
    for i, table in enumerate(tables):
        out[i::len(tables)] = src.translate(table)
    return bytes(out)


def alpha8(data: bytes, layout: str, depth: str) -> bytes:
    """The alpha channel of raw pixels in Krita's layout and depth, 8 bits a pixel (what a dreamed frame gets back)."""
    if depth == "u8":
        return data[layout.index("A")::4]
    if depth == "u16":
        return data[layout.index("A") * 2 + 1::8]  # little-endian: the high byte
    size, code = (2, "e") if depth == "f16" else (4, "f")
    values = struct.unpack(f"<{len(data) // size}{code}", data)[layout.index("A")::4]
    return bytes(min(255, max(0, int(v * 255 + 0.5))) if v == v else 0 for v in values)


def cut_out(data: bytes, layout: str, depth: str, mask8: bytes) -> bytes:
    """Raw pixels with their alpha multiplied by an 8-bit mask (one byte a pixel): transparent where nothing was
    selected, as transparent as before where the layer was."""
    if depth == "u8":
        out = bytearray(data)
        at = layout.index("A")
        out[at::4] = bytes((a * m + 127) // 255 for a, m in zip(data[at::4], mask8))
        return bytes(out)
    if depth == "u16":
        values = array.array("H", data)
        at = layout.index("A")
        values[at::4] = array.array("H", ((a * m + 127) // 255 for a, m in zip(values[at::4], mask8)))
        return values.tobytes()
    at = layout.index("A")
    if depth == "f32":  # in place in an array: a 4K float layer would be 64 million Python floats in a list
        floats = array.array("f", data)
        floats[at::4] = array.array("f", (a * m / 255 for a, m in zip(floats[at::4], mask8)))
        return floats.tobytes()
    values = list(struct.unpack(f"<{len(data) // 2}e", data))  # f16: array has no half floats
    values[at::4] = [a * m / 255 for a, m in zip(values[at::4], mask8)]
    return struct.pack(f"<{len(values)}e", *values)


def timeline(times: list[int], frames: list[T]) -> list[T | None]:
    """What a new animated layer shows at each time from 0 to the last of ``times``: the frame keyed at or before
    it (``frames[i]`` is keyed at ``times[i]``, times ascending), None before the first."""
    shown: list[T | None] = []
    current = -1
    for t in range(times[-1] + 1):
        while current + 1 < len(times) and times[current + 1] <= t:
            current += 1
        shown.append(frames[current] if current >= 0 else None)
    return shown
