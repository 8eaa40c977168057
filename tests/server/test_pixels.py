"""Raw pixel buffers, as editors send them: back in the layout and depth they came in, and refused when their length
does not match their size."""

from __future__ import annotations

import numpy as np
import pytest
import requests

from dreamlayer.errors import InvalidParameter
from dreamlayer.images import Picture
from dreamlayer.params.uploads import DEPTHS, LAYOUTS
from dreamlayer.server.pixels import DTYPES, RawFormat, decode_raw, decode_raw_mask, encode_raw

from ..live_server import TINY, assert_json_error, post_file, wait_done


def test_raw_u16_upload_comes_back_raw_u16_with_alpha(server):
    rng = np.random.default_rng(0)
    pixels = (rng.random((48, 64, 4)) * 65535).astype("<u2")
    pixels[..., 3] = 40000
    fields = {**TINY, "width": "64", "height": "48", "layout": "BGRA", "depth": "u16"}
    r = requests.post(f"{server.url}/v1/dreams", files={"image": ("image.raw", pixels.tobytes(), "application/octet-stream")}, data=fields, timeout=5)
    assert r.status_code == 202, r.text
    assert wait_done(server, r.json()["id"])["state"] == "done"
    result = requests.get(f"{server.url}/v1/jobs/{r.json()['id']}/result", timeout=5)
    assert result.headers["Content-Type"] == "application/octet-stream"
    assert (result.headers["X-Dreamlayer-Layout"], result.headers["X-Dreamlayer-Depth"]) == ("BGRA", "u16")
    back = np.frombuffer(result.content, "<u2").reshape(48, 64, 4)
    assert np.array_equal(back[..., 3], pixels[..., 3])
    assert np.abs(back[..., :3].astype(np.int64) - pixels[..., :3]).mean() > 100  # seeds 1-5, 1 and 2 threads: 356-374


def test_raw_body_whose_length_does_not_match_its_size(server):
    fields = {"width": "64", "height": "48", "layout": "RGBA", "depth": "u8"}
    r = post_file(server.url, b"\0" * (64 * 48 * 4 - 1), "image.raw", "application/octet-stream", fields)
    assert_json_error(r, 422, "invalid_parameter")
    assert "needs exactly 12,288" in r.json()["error"]["message"]
    r = requests.post(f"{server.url}/v1/dreams", params={**fields, "width": "100"}, data=b"\0" * 100,
                      headers={"Content-Type": "application/octet-stream"}, timeout=5)
    assert_json_error(r, 422, "invalid_parameter")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("depth", DEPTHS)
def test_raw_pixels_come_back_as_they_were_sent_in_every_layout_and_depth(layout, depth):
    """Samples of each depth decode to floats and encode back to the very same bytes (floats already in 0..1)."""
    rng = np.random.default_rng(len(layout) + len(depth))
    fmt = RawFormat(5, 3, layout, depth)
    shape = (3, 5, len(layout))
    if depth.startswith("u"):
        samples = rng.integers(0, np.iinfo(DTYPES[depth]).max + 1, shape).astype(DTYPES[depth])
    else:
        samples = rng.random(shape).astype(DTYPES[depth])
    picture = decode_raw(samples.tobytes(), fmt)
    assert picture.rgb.shape == (3, 5, 3) and picture.rgb.dtype == np.float32
    assert (picture.alpha is not None) == ("A" in layout)
    assert encode_raw(picture, fmt) == samples.tobytes()


def test_bgra_is_read_in_its_own_order_and_rgb_comes_back_opaque():
    red_bgra = bytes([0, 0, 255, 128])  # B, G, R, A
    picture = decode_raw(red_bgra, RawFormat(1, 1, "BGRA", "u8"))
    assert picture.rgb.tolist() == [[[1.0, 0.0, 0.0]]] and picture.alpha[0, 0] == np.float32(128) / np.float32(255)
    assert encode_raw(picture.with_pixels(picture.rgb), RawFormat(1, 1, "RGBA", "u8")) == bytes([255, 0, 0, 128])
    assert encode_raw(Picture(picture.rgb, None), RawFormat(1, 1, "RGBA", "u8")) == bytes([255, 0, 0, 255])


def test_a_raw_mask_must_have_its_exact_length():
    mask = decode_raw_mask(bytes([0, 255, 51, 255]), 2, 2, "u8")
    assert np.array_equal(mask, np.float32([[0, 255], [51, 255]]) / np.float32(255))
    with pytest.raises(InvalidParameter, match="a 2×2 f32 mask needs 16"):
        decode_raw_mask(b"\0" * 4, 2, 2, "f32")
