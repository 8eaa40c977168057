"""16 bits per channel, which Pillow reads only as 8: PNG and TIFF files of that depth, in and out.

Reading goes through FFmpeg's PNG and TIFF decoders (PyAV, already a dependency for films), which hand out
48- and 64-bit RGB(A) exactly. Writing is done here, because the result must also carry its colour profile,
resolution and, for PNG, the dream's settings: both formats are simple enough to write directly, with zlib and a
horizontal difference filter (PNG filter "Sub", TIFF predictor 2) so that smooth pictures compress well.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZLIB_LEVEL = 6


def png_bit_depth(data: bytes) -> int:
    """Bits per channel from a PNG's header (byte 24 of the file)."""
    return data[24] if len(data) > 24 and data.startswith(PNG_SIGNATURE) else 8


def decode_16bit(data: bytes, image_format: str, has_alpha: bool) -> np.ndarray:
    """(H, W, 3 or 4) uint16 pixels of a 16-bit PNG or TIFF file."""
    import av

    layout = "rgba64le" if has_alpha else "rgb48le"
    with av.open(io.BytesIO(data), format={"PNG": "png_pipe", "TIFF": "tiff_pipe"}[image_format]) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format=layout)


def _horizontal_difference(rows: np.ndarray, step: int) -> np.ndarray:
    """Each value minus the one ``step`` to its left (wrapping), along the last axis: PNG "Sub", TIFF predictor 2."""
    out = rows.copy()
    out[..., step:] -= rows[..., :-step]
    return out


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def encode_png16(pixels: np.ndarray, icc_profile: bytes | None = None, dpi: tuple[float, float] | None = None,
                 text: dict[str, str] | None = None) -> bytes:
    """A 16-bit RGB or RGBA PNG of (H, W, 3|4) uint16 pixels, with optional colour profile, resolution and text."""
    height, width, channels = pixels.shape
    big_endian = pixels.astype(">u2").view(np.uint8).reshape(height, width * channels * 2)
    filtered = _horizontal_difference(big_endian, channels * 2)
    rows = np.hstack([np.ones((height, 1), np.uint8), filtered])  # filter type 1 ("Sub") on every row
    header = struct.pack(">IIBBBBB", width, height, 16, 6 if channels == 4 else 2, 0, 0, 0)
    chunks = [_png_chunk(b"IHDR", header)]
    if icc_profile:
        chunks.append(_png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc_profile)))
    if dpi:
        per_metre = [round(d / 0.0254) for d in dpi]
        chunks.append(_png_chunk(b"pHYs", struct.pack(">IIB", *per_metre, 1)))
    for key, value in (text or {}).items():
        chunks.append(_png_chunk(b"iTXt", key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + value.encode("utf-8")))
    chunks.append(_png_chunk(b"IDAT", zlib.compress(rows.tobytes(), _ZLIB_LEVEL)))
    chunks.append(_png_chunk(b"IEND", b""))
    return PNG_SIGNATURE + b"".join(chunks)


# TIFF tag numbers and field types (TIFF 6.0 specification).
_SHORT, _LONG, _RATIONAL, _UNDEFINED = 3, 4, 5, 7


def encode_tiff16(pixels: np.ndarray, icc_profile: bytes | None = None, dpi: tuple[float, float] | None = None) -> bytes:
    """A little-endian 16-bit RGB or RGBA TIFF, one deflated strip with predictor 2, with optional profile and dpi."""
    height, width, channels = pixels.shape
    samples = _horizontal_difference(pixels.astype("<u2").reshape(height, width * channels), channels)
    strip = zlib.compress(samples.tobytes(), _ZLIB_LEVEL)
    x_dpi, y_dpi = dpi or (72.0, 72.0)
    tags: list[tuple[int, int, list | bytes]] = [
        (256, _LONG, [width]), (257, _LONG, [height]), (258, _SHORT, [16] * channels), (259, _SHORT, [8]),
        (262, _SHORT, [2]), (273, _LONG, [0]), (277, _SHORT, [channels]), (278, _LONG, [height]),
        (279, _LONG, [len(strip)]), (282, _RATIONAL, [round(x_dpi * 100), 100]),
        (283, _RATIONAL, [round(y_dpi * 100), 100]), (284, _SHORT, [1]), (296, _SHORT, [2]), (317, _SHORT, [2]),
    ]
    if channels == 4:
        tags.append((338, _SHORT, [2]))  # extra sample: unassociated (straight) alpha
    if icc_profile:
        tags.append((34675, _UNDEFINED, icc_profile))
    return _tiff_file(sorted(tags), strip)


def _tiff_file(tags: list[tuple[int, int, list | bytes]], strip: bytes) -> bytes:
    """Header, strip, out-of-line values, then the directory; the strip offset is patched in at the end."""
    formats = {_SHORT: "H", _LONG: "I", _RATIONAL: "I", _UNDEFINED: "B"}
    body = bytearray(b"II*\x00\x00\x00\x00\x00") + strip
    entries = []
    for tag, kind, values in tags:
        payload = bytes(values) if kind == _UNDEFINED else struct.pack(f"<{len(values)}{formats[kind]}", *values)
        count = len(values) // 2 if kind == _RATIONAL else len(values)
        if tag == 273:
            payload = struct.pack("<I", 8)  # the strip starts right after the header
        if len(payload) <= 4:
            entries.append(struct.pack("<HHI", tag, kind, count) + payload.ljust(4, b"\x00"))
            continue
        if len(body) % 2:
            body += b"\x00"  # values start on a word boundary
        entries.append(struct.pack("<HHII", tag, kind, count, len(body)))
        body += payload
    if len(body) % 2:
        body += b"\x00"
    directory = len(body)
    body += struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", 0)
    body[4:8] = struct.pack("<I", directory)
    return bytes(body)
