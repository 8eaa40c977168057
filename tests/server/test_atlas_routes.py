"""The channel atlas over real HTTP: a layer's atlas made in the background, its pictures, and rankings."""

from __future__ import annotations

import io
import time

import numpy as np
import requests
import torch
from PIL import Image

from dreamlayer.engine.ranking import rank_channels

from ..conftest import CAT
from ..live_server import assert_json_error, png_bytes

ATLAS = "/v1/models/lite0/layers/block1/atlas"


def test_asking_for_an_atlas_makes_its_pictures_in_the_background_and_serves_them(server):
    url = server.url + ATLAS + "?channels=3-4&size=32"
    first = requests.get(url, timeout=5).json()
    assert first["model"] == "lite0" and first["layer"] == "block1" and first["size"] == 32 and first["dreams"]
    assert [c["channel"] for c in first["channels"]] == [3, 4] and first["progress"]["total"] == 2
    deadline = time.monotonic() + 60
    atlas = first
    while atlas["state"] != "made":
        assert time.monotonic() < deadline and atlas["state"] == "being_made", atlas
        assert all(c["state"] in ("made", "being_made", "waiting") for c in atlas["channels"])
        time.sleep(0.2)
        atlas = requests.get(url, timeout=5).json()
    assert atlas["progress"] == {"made": 2, "total": 2, "share": 1.0} and atlas["error"] is None
    picture = requests.get(server.url + atlas["channels"][0]["url"], timeout=5)
    assert picture.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(picture.content)).size == (32, 32)
    start = time.perf_counter()
    again = requests.get(url, timeout=5).json()
    assert again["state"] == "made" and time.perf_counter() - start < 1.0  # the "opening it again: under 1 s"


def test_an_atlas_request_is_refused_in_words_before_any_work(server):
    for path, code in (("/v1/models/lite0/layers/nope/atlas", "unknown_layer"),
                       ("/v1/models/nope/layers/block1/atlas", "unknown_model"),
                       (ATLAS + "?channels=3-99", "invalid_parameter"), (ATLAS + "?size=9000", "invalid_parameter"),
                       (ATLAS + "?colour=red", "invalid_parameter"), (ATLAS + "?channels=strongest:3", "invalid_parameter")):
        start = time.perf_counter()
        assert_json_error(requests.get(server.url + path, timeout=5), 422, code)
        assert time.perf_counter() - start < 1.5
    assert_json_error(requests.get(server.url + "/v1/models/lite0/layers/block1/channels/20.png?size=96", timeout=5),
                      404, "not_made_yet")
    assert_json_error(requests.get(server.url + "/v1/models/lite0/layers/block1/channels/99.png", timeout=5), 422)


def test_a_ranking_gives_the_engines_order_for_a_file_or_raw_pixels_and_a_mask(server, net):
    data = png_bytes(96, 64)
    answer = requests.post(server.url + "/v1/rankings", files={"image": ("in.png", data, "image/png")},
                           data={"layer": "block10"}, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model"] == "lite0" and body["layer"] == "block10" and len(body["channels"]) == 112
    rgb = torch.from_numpy(np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float32) / 255).permute(2, 0, 1)[None]
    expected = rank_channels(net, rgb, "block10")
    assert [c["channel"] for c in body["channels"][:10]] == [r.channel for r in expected[:10]]
    assert abs(sum(c["share"] for c in body["channels"]) - 1) < 1e-3

    # Raw RGBA from an editor, with the selection as a raw mask: the left half only.
    rgba = np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"), np.uint8)
    mask = np.zeros((64, 96), np.uint8)
    mask[:, :48] = 255
    raw = requests.post(server.url + "/v1/rankings", timeout=30,
                        files={"image": ("i.raw", rgba.tobytes(), "application/octet-stream"),
                               "mask": ("m.raw", mask.tobytes(), "application/octet-stream")},
                        data={"width": "96", "height": "64", "layout": "RGBA", "depth": "u8", "layer": "block10"})
    assert raw.status_code == 200, raw.text
    left = rank_channels(net, rgb, "block10", torch.from_numpy(mask.astype(np.float32) / 255))
    assert [c["channel"] for c in raw.json()["channels"][:10]] == [r.channel for r in left[:10]]


def test_a_ranking_is_refused_in_words(server):
    post = lambda **kw: requests.post(server.url + "/v1/rankings", timeout=10, **kw)  # noqa: E731
    assert_json_error(post(data={"layer": "block10"}, files={"x": ("x", b"", "text/plain")}), 422, "invalid_parameter")
    assert_json_error(post(files={"image": ("in.png", CAT.read_bytes(), "image/png")}, data={"layer": "nope"}), 422, "unknown_layer")
    assert_json_error(post(files={"image": ("in.png", b"not a picture", "image/png")}), 422)
    assert_json_error(post(data="layer=block10", headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
