"""What goes on the wire without a library: form fields, multipart bodies, event streams, and 8-bit PNGs (an editor's Python has
no Pillow), for the client's requests, and the pictures that come back.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from .protocol import ClientError, JobResult, RawImage, RawMask

Part = tuple[str, str, str, bytes]  # a file part: (field name, file name, media type, bytes)


def form_fields(params: dict[str, Any] | None) -> dict[str, str]:
    """Settings as form fields: yes/no as true/false; a setting left to the server (None) left out."""
    return {name: form_value(value) for name, value in (params or {}).items() if value is not None}


def form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def mime_type(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()
    return {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp", "tif": "image/tiff", "tiff": "image/tiff"}.get(ext, "application/octet-stream")


def picture_parts(image: RawImage | bytes, mask: RawMask | bytes | None, guide: bytes | None,
                  filename: str) -> tuple[dict[str, Any], list[Part]]:
    """A dream's picture, mask and guide as parts, with the fields that describe raw pixels."""
    fields: dict[str, Any] = {}
    files: list[Part] = []
    if isinstance(image, RawImage):
        if len(image.data) != image.expected_size():
            raise ClientError(f"Raw image is {len(image.data)} bytes; {image.width}×{image.height} {image.layout} "
                              f"{image.depth} needs {image.expected_size()}.")
        fields.update(width=image.width, height=image.height, layout=image.layout, depth=image.depth)
        files.append(("image", "image.raw", "application/octet-stream", image.data))
    else:
        files.append(("image", filename, "application/octet-stream" if filename.endswith(".raw") else mime_type(filename), image))
    if isinstance(mask, RawMask):
        fields["mask_depth"] = mask.depth
        files.append(("mask", "mask.raw", "application/octet-stream", mask.data))
    elif mask is not None:
        files.append(("mask", "mask.png", "image/png", mask))
    if guide is not None:
        files.append(("guide", "guide.png", mime_type("guide.png"), guide))
    return fields, files


def multipart(fields: dict[str, Any], files: list[Part]) -> tuple[bytes, str]:
    boundary = "dreamlayer-" + uuid.uuid4().hex
    chunks = []
    for name, value in fields.items():
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, mime, data in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'
        chunks += [head.encode(), data, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def event_data(lines: Iterable[bytes]) -> Iterator[str]:
    """The data of each Server-Sent Event in a stream of lines (an event ends at a blank line)."""
    data: list[str] = []
    for raw_line in lines:
        line = raw_line.decode("utf-8").rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:
            yield "\n".join(data)
            data = []


def encode_png(width: int, height: int, rgba: bytes) -> bytes:
    """An 8-bit RGBA PNG from raw bytes, for sending a guide picture from an editor without Pillow."""
    stride = width * 4
    rows = b"".join(b"\x00" + rgba[y * stride : (y + 1) * stride] for y in range(height))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")


def dream_form(image: RawImage | bytes, params: dict[str, Any] | None, mask: RawMask | bytes | None, guide: bytes | None,
               filename: str, document: tuple[int, int] | None, position: tuple[int, int] | None) -> tuple[dict[str, Any], list[Part]]:
    """A dream's form: its settings, where the picture sits in its document, and its picture, mask and guide."""
    fields = form_fields(params)
    if document is not None:
        fields.update(document_width=document[0], document_height=document[1])
    if position is not None:
        fields.update(region_x=position[0], region_y=position[1])
    picture_fields, files = picture_parts(image, mask, guide, filename)
    return {**fields, **picture_fields}, files


def read_result(body: bytes, headers: dict[str, str]) -> JobResult:
    """A dream's picture as the server sent it: RawImage for raw pixels, else the file's bytes; and its seed."""
    seed = int(headers["X-Dreamlayer-Seed"]) if headers.get("X-Dreamlayer-Seed", "").isdigit() else None
    if headers.get("Content-Type", "").startswith("application/octet-stream"):
        return JobResult(RawImage(int(headers["X-Dreamlayer-Width"]), int(headers["X-Dreamlayer-Height"]), body,
                                  headers["X-Dreamlayer-Layout"], headers["X-Dreamlayer-Depth"]), seed)
    return JobResult(body, seed)
