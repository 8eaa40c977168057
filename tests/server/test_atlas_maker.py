"""The atlas is made between dreams, a step at a time, for as long as someone asks for it.

The dreams here are held by tests/held_runner.py (a MOCK runner: jobs run until released, no network), so a dream
is running exactly while a test needs it; the atlas maker, its steps, the queue and the cache are the real ones.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
import requests

from dreamlayer.params.atlas import ResolvedAtlas
from dreamlayer.server import atlas_maker
from dreamlayer.server.atlas_maker import AtlasMaker, describe_channels

from ..held_runner import HeldRunner
from ..live_server import post_file, png_bytes, start_server, wait_done

# block1's channels 0-15 at 32 px: one batch of 48 quick steps.
SMALL = ResolvedAtlas("lite0", "block1", tuple(range(16)), 32)


def steps_taken(work) -> int:
    return 0 if work.progress is None else work.progress.step + 48 * work.progress.made // 16


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def held_server():
    runner = HeldRunner()
    live = start_server(runner=runner)
    yield live, runner
    runner.release()
    live.stop()


def test_a_running_dream_holds_the_atlas_back_and_a_new_dream_waits_at_most_one_step(net, held_server, tmp_path):
    live, runner = held_server
    maker = AtlasMaker(lambda name: net, live.queue, tmp_path)
    step_starts: list[float] = []  # when each atlas step took the device (the server's clock, as a job's times)
    taking_turns = maker._turn

    @contextmanager
    def counted_turn():
        with taking_turns():
            step_starts.append(time.time())
            yield

    maker._turn = counted_turn
    try:
        job = post_file(live.url, png_bytes()).json()["id"]
        assert runner.started.wait(10)
        work = maker.ask(SMALL)
        time.sleep(0.5)
        assert work.progress is None and not step_starts  # not one step while the dream runs
        runner.release()
        wait_done(live, job)
        wait_for(lambda: len(step_starts) >= 3)  # the dream is done: the atlas goes on

        # A dream sent now starts after the atlas step under way, at most: from the moment it is queued the maker
        # sees the queue busy and takes no further step (one may have taken the device just as it was queued).
        runner.started.clear()
        second = post_file(live.url, png_bytes()).json()["id"]
        assert runner.started.wait(10)
        status = requests.get(f"{live.url}/v1/jobs/{second}", timeout=5).json()
        assert len([t for t in step_starts if status["created"] <= t <= status["started"]]) <= 1
        wait_done(live, second)
        maker.ask(SMALL)
        wait_for(lambda: work.progress is not None and work.progress.made == 16)
        states = {c["state"] for c in describe_channels(work, SMALL.channels, lambda c: f"/{c}.png")}
        assert states == {"made"}
    finally:
        maker.stop()


def test_an_atlas_nobody_asks_for_stops_and_goes_on_from_there_when_asked_again(net, tmp_path, monkeypatch):
    monkeypatch.setattr(atlas_maker, "LEASE", 0.6)
    live = start_server(runner=HeldRunner())
    maker = AtlasMaker(lambda name: net, live.queue, tmp_path)
    try:
        request = ResolvedAtlas("lite0", "block1", tuple(range(24)), 32)  # two batches
        work = maker.ask(request)
        wait_for(lambda: steps_taken(work) >= 2)
        time.sleep(1.5)  # past the lease: the work stops after its step under way
        stopped = steps_taken(work)
        time.sleep(0.5)
        assert steps_taken(work) == stopped and work.being_made == ()
        asked_again = maker.ask(request)
        keep_asking = threading.Event()

        def ask_every_so_often():
            while not keep_asking.wait(0.2):
                maker.ask(request)

        thread = threading.Thread(target=ask_every_so_often, daemon=True)
        thread.start()
        wait_for(lambda: maker.cache("lite0", "block1", 32).made(list(range(24))) == set(range(24)), timeout=120)
        keep_asking.set()
        thread.join()
        assert asked_again.error is None
    finally:
        maker.stop()
        live.stop()
