"""Live dreams over real HTTP (waitress on loopback): the picture comes back in the form it was sent, an unchanged
canvas costs nothing, a newer request supersedes a running one, a live dream runs between a running dream's steps
and ahead of queued ones, and mistakes are refused before any work."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import requests

from dreamlayer.engine.policy import EngineOptions
from dreamlayer.params.live import lane_seed

from ..conftest import cat_rgb
from ..held_runner import HeldRunner
from ..live_server import assert_json_error, png_bytes, start_server


def rgba16(width: int, height: int) -> np.ndarray:
    picture = np.ones((height, width, 4), np.float32)
    picture[..., :3] = cat_rgb(width, height)
    return np.round(picture * 65535).astype("<u2")


def post_live(url: str, lane: str, picture: np.ndarray, depth: str = "u16", **fields) -> requests.Response:
    height, width = picture.shape[:2]
    data = {"width": width, "height": height, "layout": "RGBA", "depth": depth, **fields}
    return requests.post(f"{url}/v1/live/{lane}", data=data, timeout=60,
                         files={"image": ("image.raw", picture.tobytes(), "application/octet-stream")})


def test_a_live_dream_comes_back_as_it_was_sent_and_an_unchanged_canvas_is_not_dreamed_again(server):
    picture = rgba16(320, 240)
    first = post_live(server.url, "doc-a", picture)
    assert first.status_code == 200, first.text
    assert first.headers["X-Dreamlayer-Depth"] == "u16" and first.headers["X-Dreamlayer-Width"] == "320"
    assert first.headers["X-Dreamlayer-Live-Changed"] == "yes"
    assert first.headers["X-Dreamlayer-Seed"] == str(lane_seed("doc-a"))  # no seed given: the lane's own
    dreamed = np.frombuffer(first.content, "<u2").reshape(picture.shape)
    assert np.abs(dreamed[..., :3].astype(int) - picture[..., :3]).mean() > 300  # dreamed (16-bit levels)
    assert (dreamed[..., 3] == 65535).all()  # the alpha as sent
    again = post_live(server.url, "doc-a", picture)
    assert again.headers["X-Dreamlayer-Live-Changed"] == "no" and again.content == first.content
    seeded = post_live(server.url, "doc-a", picture, seed=7)
    assert seeded.headers["X-Dreamlayer-Seed"] == "7" and seeded.content != first.content


def test_a_newer_live_request_supersedes_the_one_running(server):
    picture = rgba16(1024, 768)
    answers: dict = {}
    slow = threading.Thread(target=lambda: answers.update(slow=post_live(
        server.url, "doc-b", picture, octaves=1, steps=40, live_steps=40, live_size=1024)))  # 10 s and more
    slow.start()
    while server.app.extensions["dreamlayer"].live.stats()["running"] == 0:
        assert slow.is_alive(), answers["slow"].text
        time.sleep(0.01)
    quick = post_live(server.url, "doc-b", picture[::2, ::2].copy())
    slow.join(60)
    assert_json_error(answers["slow"], 409, "superseded")
    assert quick.status_code == 200 and quick.headers["X-Dreamlayer-Width"] == "512"


class HeldRunnerWithModel(HeldRunner):
    """MOCK dream jobs that run until released (HeldRunner), beside the real model for the live dreams."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model, self.options = model, EngineOptions()

    def net(self, name: str):
        return self.model

    def wait_until_warm(self, timeout: float | None = None) -> bool:
        return True


@pytest.fixture
def busy_server(net):
    runner = HeldRunnerWithModel(net)
    live = start_server(runner=runner)
    yield live, runner
    runner.release()
    live.stop()


def test_a_live_dream_runs_between_a_running_dream_s_steps_and_ahead_of_queued_ones(busy_server):
    live, runner = busy_server
    jobs = [requests.post(f"{live.url}/v1/dreams", files={"image": ("in.png", png_bytes(), "image/png")}, timeout=10).json()
            for _ in range(2)]
    assert runner.started.wait(10)
    answer = post_live(live.url, "doc-c", rgba16(160, 120), depth="u16")
    assert answer.status_code == 200, answer.text
    states = [requests.get(f"{live.url}/v1/jobs/{job['id']}", timeout=10).json()["state"] for job in jobs]
    assert states == ["running", "queued"]  # the live dream did not wait for either


@pytest.mark.parametrize(("lane", "fields", "status", "code"), [
    ("doc.d", {}, 404, "unknown_lane"),
    ("doc-d", {"live_size": 5000}, 422, "invalid_parameter"),
    ("doc-d", {"live_steps": 0}, 422, "invalid_parameter"),
    ("doc-d", {"live_speed": 1}, 422, "invalid_parameter"),
    ("doc-d", {"steps": "many"}, 422, "invalid_parameter"),
])
def test_mistakes_are_refused_with_a_readable_message(server, lane, fields, status, code):
    answer = post_live(server.url, lane, rgba16(64, 48), **fields)
    assert_json_error(answer, status, code)
    assert len(answer.json()["error"]["message"]) > 20


def test_a_live_request_must_carry_a_picture_as_a_dream_does(server):
    assert_json_error(requests.post(f"{server.url}/v1/live/doc-e", data="x", headers={"Content-Type": "text/plain"},
                                    timeout=10), 415, "unsupported_media_type")


def test_a_forgotten_lane_is_dreamed_afresh(server):
    picture = rgba16(96, 64)
    assert post_live(server.url, "doc-f", picture).status_code == 200
    assert requests.delete(f"{server.url}/v1/live/doc-f", timeout=10).status_code == 204
    again = post_live(server.url, "doc-f", picture)
    assert again.headers["X-Dreamlayer-Live-Changed"] == "yes"
