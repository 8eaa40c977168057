"""The server's caps: every one is stated in /v1/health, and a body over its route's cap is refused (a video has
a cap of its own)."""

from __future__ import annotations

import pytest
import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from dreamlayer.server.errors import ApiError
from dreamlayer.server.films import FilmFolder
from dreamlayer.server.limits import STATED_CAPS, Limits, check_upload_size

from ..live_server import start_server
from .test_films import VIDEO, jpeg, post


def test_every_cap_is_stated_in_health_and_a_videos_upload_has_a_cap_of_its_own(tmp_path):
    live = start_server({"FILM_FOLDER": str(tmp_path), "MAX_UPLOAD_BYTES": 2**20, "MAX_VIDEO_UPLOAD_BYTES": 4 * 2**20,
                         "MAX_PIXELS": 2**22, "MAX_VIDEO_FRAMES": 50})
    try:
        limits = requests.get(f"{live.url}/v1/health", timeout=10).json()["limits"]
        assert {k: v for k, v in limits.items() if k != "film_disk_free_bytes"} == {
            "max_pixels": 2**22, "max_cost": 50_000_000, "max_upload_bytes": 2**20,
            "max_video_upload_bytes": 4 * 2**20, "max_video_frames": 50, "precisions": ["fp32", "bf16"]}
        assert 0 < limits["film_disk_free_bytes"]
        padding = ("frame", ("big.png", b"\0" * (2 * 2**20), "image/png"))  # 2 MiB: over a dream's cap, not a video's
        dream = requests.post(f"{live.url}/v1/dreams", files=[("image", padding[1])], timeout=10)
        assert dream.status_code == 413 and "for a dream" in dream.json()["error"]["message"]
        video = post(live.url, "videos", VIDEO, [padding])
        assert video.status_code == 422 and video.json()["error"]["code"] == "unreadable_image"  # read, not refused
        over = post(live.url, "videos", VIDEO, [padding, padding, padding])  # over the largest cap: waitress says so
        assert over.status_code == 413
        many = post(live.url, "videos", VIDEO, [("frame", (f"{i}.jpg", jpeg(32, 32), "image/jpeg")) for i in range(51)])
        assert many.status_code == 422 and "at most 50" in many.json()["error"]["message"]
    finally:
        live.stop()


def test_oversize_chunked_body_is_refused(small_server):
    def chunks():
        for _ in range(6):
            yield b"\0" * 2**20

    r = requests.post(f"{small_server.url}/v1/dreams", data=chunks(), headers={"Content-Type": "application/octet-stream"}, timeout=10)
    assert r.status_code == 413


def request_of(length: int) -> Request:
    return Request(EnvironBuilder(method="POST", data=b"\0" * length).get_environ())


def test_each_route_has_its_own_upload_cap(tmp_path):
    limits = Limits(100, 1000, FilmFolder(tmp_path), max_upload_bytes=10, max_video_upload_bytes=20)
    check_upload_size(request_of(10), "dream", limits)  # exactly the cap: taken
    check_upload_size(request_of(20), "video", limits)
    with pytest.raises(ApiError) as refused:
        check_upload_size(request_of(11), "zoom", limits)
    assert (refused.value.status, refused.value.code) == (413, "request_entity_too_large")
    assert "for a zoom (10 bytes)" in refused.value.message
    with pytest.raises(ApiError, match="for a video"):
        check_upload_size(request_of(21), "video", limits)


def test_the_stated_caps_are_every_cap_and_the_precisions_of_the_device(tmp_path):
    cpu = Limits(100, 1000, FilmFolder(tmp_path), 10, 20, 30, "cpu").describe()
    assert list(cpu) == [*STATED_CAPS, "precisions"]
    assert (cpu["max_pixels"], cpu["max_cost"], cpu["max_video_frames"]) == (100, 1000, 30)
    assert cpu["precisions"] == ["fp32", "bf16"]
    assert Limits(100, 1000, FilmFolder(tmp_path, limit=5000), device_type="cuda").describe()["film_disk_free_bytes"] <= 5000
    assert "fp16" in Limits(100, 1000, FilmFolder(tmp_path), device_type="cuda").describe()["precisions"]
