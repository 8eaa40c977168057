"""The editors' live client (dreamlayer_editor.live) against the real server: the newest offer wins, a selection's
live dream stays inside it, failures come back readable, and closing lets the server forget the lane."""

from __future__ import annotations

import time

import numpy as np

from dreamlayer_editor.client import DreamClient
from dreamlayer_editor.live import LiveDreamer, LiveFailure, LiveResult
from dreamlayer_editor.protocol import RawImage, RawMask

from .conftest import cat_rgb


def rgba(width: int, height: int) -> RawImage:
    pixels = np.dstack([(cat_rgb(width, height) * 255).astype(np.uint8), np.full((height, width), 255, np.uint8)])
    return RawImage(width, height, pixels.tobytes())


def answer_of(dreamer: LiveDreamer, timeout: float = 60) -> LiveResult | LiveFailure:
    deadline = time.monotonic() + timeout
    while (answer := dreamer.take()) is None:
        assert time.monotonic() < deadline, "no answer"
        time.sleep(0.02)
    return answer


def lanes(server) -> int:
    return DreamClient(server.url).health()["live"]["lanes"]


def test_the_newest_offer_wins_and_older_answers_never_show(server):
    dreamer = LiveDreamer(DreamClient(server.url), "editor-newest")
    slow = {"octaves": 1, "steps": 30, "live_steps": 30, "live_size": 1024}
    dreamer.offer(rgba(512, 512), slow, tag="first")
    time.sleep(0.3)  # "first" is in flight
    dreamer.offer(rgba(256, 256), {}, tag="second")
    dreamer.offer(rgba(200, 160), {}, tag="third")
    answer = answer_of(dreamer)
    while dreamer.busy():
        time.sleep(0.02)
    assert isinstance(answer, LiveResult) and answer.tag == "third" and dreamer.take() is None
    assert (answer.image.width, answer.image.height) == (200, 160) and answer.changed and answer.seconds > 0
    dreamer.close()


def test_a_selection_s_live_dream_stays_inside_it(server):
    dreamer = LiveDreamer(DreamClient(server.url), "editor-selection")
    image = rgba(160, 120)
    mask = np.zeros((120, 160), np.uint8)
    mask[30:90, 40:120] = 255
    dreamer.offer(image, {"edge_softness": 0}, RawMask(mask.tobytes()), document=(640, 480), position=(100, 200), tag="sel")
    answer = answer_of(dreamer)
    sent = np.frombuffer(image.data, np.uint8).reshape(120, 160, 4)
    back = np.frombuffer(answer.image.data, np.uint8).reshape(120, 160, 4)
    outside = mask == 0
    assert np.array_equal(back[outside], sent[outside]) and not np.array_equal(back[~outside], sent[~outside])
    dreamer.close()


def test_a_refused_offer_comes_back_as_a_readable_failure_with_its_tag(server):
    dreamer = LiveDreamer(DreamClient(server.url), "editor-refused")
    dreamer.offer(rgba(64, 48), {"live_size": 99999}, tag="bad")
    answer = answer_of(dreamer)
    assert isinstance(answer, LiveFailure) and answer.tag == "bad"
    assert "live_size" in str(answer.error) and answer.error.code == "invalid_parameter"
    dreamer.close()


def test_closing_lets_the_server_forget_the_lane_and_takes_no_more_offers(server):
    dreamer = LiveDreamer(DreamClient(server.url), "editor-closing")
    dreamer.offer(rgba(64, 48), {}, tag=1)
    assert isinstance(answer_of(dreamer), LiveResult)
    before = lanes(server)
    dreamer.close()
    deadline = time.monotonic() + 10
    while lanes(server) != before - 1:
        assert time.monotonic() < deadline, "the lane was not forgotten"
        time.sleep(0.02)
    dreamer.offer(rgba(64, 48), {}, tag=2)
    assert not dreamer.busy() and dreamer.take() is None
