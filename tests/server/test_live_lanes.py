"""The live lane's rules with a stand-in dream (MOCK: a function that waits for the test, so that "while one
runs" is certain rather than timed): latest wins, a running dream is stopped by a newer one, a lane's last dream is
kept for the next, and lanes are forgotten."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from dreamlayer.engine.live import LiveMemory, LiveOutcome
from dreamlayer.errors import Cancelled
from dreamlayer.server.device_turn import DeviceTurn
from dreamlayer.server.errors import ApiError
from dreamlayer.server.live_lanes import MAX_LANES, LiveLanes, Superseded


class StandIn:
    """MOCK dream: each request is a name; "hold" runs until released or stopped, anything else answers at once."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.ran: list[str] = []
        self.memories: list[LiveMemory | None] = []

    def __call__(self, request: str, memory: LiveMemory | None, stop) -> LiveOutcome:
        self.ran.append(request)
        self.memories.append(memory)
        if request.startswith("hold"):
            self.started.set()
            while not self.release.wait(0.005):
                if stop():
                    raise Cancelled("stopped")
        made = np.full((1, 1, 3), len(self.ran), np.float32)
        return LiveOutcome(made, LiveMemory(made, made, request), True)


@pytest.fixture
def lanes():
    stand_in = StandIn()
    lanes = LiveLanes(stand_in, DeviceTurn())
    yield lanes, stand_in
    stand_in.release.set()
    lanes.stop()


def ask_in_background(lanes: LiveLanes, key: str, request: str) -> dict:
    answer: dict = {}

    def ask() -> None:
        try:
            answer["ask"] = lanes.ask(key, request, 10)
        except Exception as exc:  # noqa: BLE001 - the test looks at what it was
            answer["error"] = exc

    answer["thread"] = threading.Thread(target=ask)
    answer["thread"].start()
    return answer


def test_a_newer_request_stops_the_running_one(lanes):
    lanes, stand_in = lanes
    first = ask_in_background(lanes, "doc", "hold")
    assert stand_in.started.wait(5)
    stand_in.started.clear()
    second = ask_in_background(lanes, "doc", "hold again")
    first["thread"].join(5)
    assert isinstance(first["error"], Superseded)
    assert stand_in.started.wait(5)  # the newer one runs...
    newest = lanes.ask("doc", "third", 10)  # ...until the newest stops it
    second["thread"].join(5)
    assert isinstance(second["error"], Superseded) and newest.outcome.memory.settings == "third"
    assert stand_in.ran == ["hold", "hold again", "third"]
    assert lanes.stats() == {"lanes": 1, "running": 0, "dreamed": 1, "unchanged": 0, "superseded": 2, "failed": 0}


def test_a_newer_request_replaces_one_that_has_not_started(lanes):
    lanes, stand_in = lanes
    with lanes._turn.taken():  # a long dream's step: the live thread waits for the turn
        first = ask_in_background(lanes, "doc", "first")
        time.sleep(0.05)  # "first" is taken by the live thread, which waits for the turn
        second = ask_in_background(lanes, "doc", "second")
        time.sleep(0.05)  # "second" waits in the lane, behind "first"
        third = ask_in_background(lanes, "doc", "third")
        time.sleep(0.05)
    for answer in (first, second, third):
        answer["thread"].join(5)
    assert isinstance(first["error"], Superseded) and isinstance(second["error"], Superseded)
    assert third["ask"].outcome.memory.settings == "third" and stand_in.ran == ["third"]


def test_each_lane_keeps_its_last_dream_for_its_next_and_other_lanes_do_not_see_it(lanes):
    lanes, stand_in = lanes
    lanes.ask("a", "a1", 10)
    lanes.ask("b", "b1", 10)
    lanes.ask("a", "a2", 10)
    assert [m.settings if m else None for m in stand_in.memories] == [None, None, "a1"]


def test_a_forgotten_lane_starts_afresh_and_stops_what_ran_in_it(lanes):
    lanes, stand_in = lanes
    lanes.ask("a", "a1", 10)
    running = ask_in_background(lanes, "a", "hold")
    assert stand_in.started.wait(5)
    lanes.forget("a")
    running["thread"].join(5)
    assert isinstance(running["error"], Superseded)
    lanes.ask("a", "a3", 10)
    assert stand_in.memories[-1] is None and lanes.stats()["lanes"] == 1 and lanes.stats()["running"] == 0


def test_at_most_max_lanes_are_kept_the_least_recently_asked_go_first(lanes):
    lanes, stand_in = lanes
    for n in range(MAX_LANES + 1):
        lanes.ask(f"doc{n}", f"first{n}", 10)
    lanes.ask("doc0", "again", 10)
    assert stand_in.memories[-1] is None  # doc0 was the oldest, so it went
    assert lanes.stats()["lanes"] == MAX_LANES


def test_a_stopping_server_refuses_live_dreams(lanes):
    lanes, _ = lanes
    lanes.stop()
    with pytest.raises(ApiError) as refused:
        lanes.ask("doc", "late", 10)
    assert refused.value.status == 503
