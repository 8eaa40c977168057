"""Raw pixel buffers, as editors send them: back in the layout and depth they came in, and refused when their length
does not match their size."""

from __future__ import annotations

import numpy as np
import requests

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
