"""Reading a dream's request (POST /v1/dreams): hostile and broken pictures, settings out of range, raw sizes and
masks that do not fit each get a clear 4xx JSON error, never a 500, and the server keeps serving; a bare raw body
carries its mask after the pixels; the document and region fields name themselves when out of range."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib

import numpy as np
import pytest
import requests
from PIL import Image

from ..live_server import TINY, assert_json_error, png_bytes, post_file, wait_done
from .test_forms import error, image_part, post


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    """A few hundred KB of PNG that declares 20000×20000 grey pixels (400 MB once decoded)."""
    width = height = 20000
    compressor, row = zlib.compressobj(9), b"\0" * (width + 1)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_quickly_with_little_memory(server, png_bomb):
    assert len(png_bomb) < 1_000_000
    before, start = rss_bytes(), time.monotonic()
    r = post_file(server.url, png_bomb)
    elapsed = time.monotonic() - start
    assert_json_error(r, 413, "image_too_large")
    assert "20000×20000" in r.json()["error"]["message"]
    assert rss_bytes() - before < 50 * 2**20
    assert elapsed < 5  # generous: it is refused from the header; decoding would take far longer


def _encoded(fmt: str, mode: str = "RGB", **options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (32, 32), 128 if mode in ("L", "P", "1") else (10, 20, 30)[: len(mode)]).save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("label, data", [
    ("empty", b""),
    ("truncated png", png_bytes()[:300]),
    ("random bytes", np.random.default_rng(1).bytes(5000)),
    ("text", b"hello, I am not a picture"),
    ("eps", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"),
    ("pdf", _encoded("PDF")),
    ("gif", _encoded("GIF", "P")),
    ("bmp", _encoded("BMP")),
])
def test_unreadable_or_disallowed_pictures_get_422(server, label, data):
    assert_json_error(post_file(server.url, data), 422, "unreadable_image")


@pytest.mark.parametrize("mode", ["CMYK", "L", "P", "I;16", "LA"])
def test_other_colour_modes_are_converted_not_refused(server, mode):
    noise = np.random.default_rng(2).random((48, 64))
    image = Image.fromarray((noise * 65535).astype(np.uint16)) if mode == "I;16" else Image.fromarray((noise * 255).astype(np.uint8)).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF" if mode == "CMYK" else "PNG")
    r = post_file(server.url, buffer.getvalue(), "in.tif" if mode == "CMYK" else "in.png")
    assert r.status_code == 202, r.text


@pytest.mark.parametrize("fields", [
    {"steps": "0"}, {"steps": "many"}, {"octave_scale": "nan"}, {"layer": "nope"}, {"model": "alexnet"},
    {"channels": "9999"}, {"preset": "wild"}, {"colour": "red"}, {"depth": "u32"}, {"precision": "int8"},
    {"width": "-3"},
])
def test_out_of_range_settings_get_422(server, fields):
    is_raw = "width" in fields or "depth" in fields
    base = {"width": "64", "height": "48"} if is_raw else {}
    payload = b"\0" * (64 * 48 * 4) if is_raw else png_bytes()
    r = post_file(server.url, payload, "image.raw" if is_raw else "in.png", "application/octet-stream" if is_raw else "image/png", {**base, **fields})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"]


def test_too_many_pixels_in_a_raw_upload(small_server):
    fields = {"width": "2000", "height": "2000", "depth": "u8"}
    r = post_file(small_server.url, b"\0" * 16, "image.raw", "application/octet-stream", fields)
    assert_json_error(r, 413, "image_too_large")


def test_wrong_content_type_and_missing_image(server):
    r = requests.post(f"{server.url}/v1/dreams", data="steps=3", headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5)
    assert_json_error(r, 415, "unsupported_media_type")
    r = requests.post(f"{server.url}/v1/dreams", files={"mask": ("m.png", png_bytes(), "image/png")}, timeout=5)
    assert_json_error(r, 422)


def test_mask_of_the_wrong_size(server):
    r = requests.post(f"{server.url}/v1/dreams", files={"image": ("in.png", png_bytes(), "image/png"), "mask": ("m.png", png_bytes(10, 10, "L"), "image/png")}, data=TINY, timeout=5)
    assert_json_error(r, 422, "unreadable_image")


def test_a_valid_dream_still_succeeds_after_all_that(server):
    r = post_file(server.url, png_bytes())
    assert r.status_code == 202
    job_id = r.json()["id"]
    for _ in range(600):
        state = requests.get(f"{server.url}/v1/jobs/{job_id}", timeout=5).json()["state"]
        if state in ("done", "failed", "cancelled"):
            break
        time.sleep(0.05)
    assert state == "done"


def test_bare_octet_stream_body_with_mask(server):
    rgba = np.dstack([(np.full((48, 64, 3), 0.5) * 255).astype(np.uint8), np.full((48, 64), 255, np.uint8)])
    mask = np.zeros((48, 64), np.uint8)
    mask[:, 32:] = 255
    query = {**TINY, "width": 64, "height": 48, "mask_depth": "u8", "steps": 4}
    r = requests.post(f"{server.url}/v1/dreams", params=query, data=rgba.tobytes() + mask.tobytes(),
                      headers={"Content-Type": "application/octet-stream"}, timeout=5)
    assert r.status_code == 202, r.text
    assert wait_done(server, r.json()["id"])["state"] == "done"
    back = np.frombuffer(requests.get(f"{server.url}/v1/jobs/{r.json()['id']}/result", timeout=5).content, np.uint8).reshape(48, 64, 4)
    assert np.array_equal(back[:, :32], rgba[:, :32])
    assert np.abs(back[:, 32:, :3].astype(int) - rgba[:, 32:, :3]).mean() > 0.5  # seeds 1-5, 1 and 2 threads: 1.89-2.03


def test_document_and_region_out_of_range_name_their_own_field(server):
    for name in ("document_width", "document_height", "region_x", "region_y"):
        message = error(post(server.url, [image_part()], {**TINY, name: "70000"}), 422)["message"]
        assert message.startswith(f"'{name}' must be between"), message
    # Within range, the largest document still gets a feature scale within its own range.
    r = post(server.url, [image_part()], {**{k: v for k, v in TINY.items() if k != "scale"}, "document_width": "65536"})
    assert r.status_code == 202, r.text
