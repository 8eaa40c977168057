"""The time left a running dream reports (``eta_seconds``), against the time it really took: a real dream on the
CPU, on a real server, its status read every 50 ms."""

from __future__ import annotations

import time

import pytest
import requests

from dreamlayer.engine import Progress
from dreamlayer.server.job import RUNNING, Job, eta

from .live_server import png_bytes

# How far an estimate may be from the real time left, as a share of it: the bound. Measured on this
# project's 2-core machine with nothing else running (bench/RESULTS.md, "time left"): at most 0.27 over these
# pictures and seeds, at 25, 50 and 75% of the steps.
MARGIN = 0.35


def follow(server, width: int, height: int, seed: int) -> tuple[list[tuple[float, float, float | None]], dict]:
    """Dream the cat at width × height: every status read while it ran, as (time, share of steps, eta), and the end."""
    r = requests.post(f"{server.url}/v1/dreams", files={"image": ("in.png", png_bytes(width, height), "image/png")},
                      data={"preset": "classic", "octaves": 3, "steps": 10, "seed": seed}, timeout=10)
    job = r.json()["id"]
    samples = []
    while True:
        asked = time.time()
        status = requests.get(f"{server.url}/v1/jobs/{job}", timeout=10).json()
        if status["state"] not in ("queued", "running"):
            return samples, status
        if status["state"] == "running":
            progress = status["progress"]
            samples.append((asked, progress["step"] / progress["total"], status["eta_seconds"]))
        time.sleep(0.05)


@pytest.mark.parametrize("width, height, seed", [(320, 240, 1), (480, 320, 3)])
def test_the_time_left_is_within_a_third_of_the_real_time_left(server, width, height, seed):
    samples, end = follow(server, width, height, seed)
    assert end["state"] == "done"
    assert all(eta is None or eta > 0 for _, _, eta in samples)  # never "0 s left" while running
    for quarter in (0.25, 0.5, 0.75):
        asked, _, eta = next(s for s in samples if s[1] >= quarter and s[2] is not None)
        real = end["finished"] - asked
        assert abs(eta - real) <= MARGIN * real, (quarter, eta, real)


def test_the_time_left_is_timed_from_the_first_step_and_unknown_before_a_second():
    job = Job("a-job", "dream", None, state=RUNNING)
    assert eta(job) is None  # no step yet
    job.progress, job.clock = Progress(1, 10, 1, 1, 0.1), (time.time(), 0.1)
    assert eta(job) is None  # one step: nothing timed yet (its time was the model's warm-up as much as the step)
    job.progress, job.clock = Progress(6, 10, 1, 1, 0.6), (time.time() - 5, 0.1)
    assert eta(job) == pytest.approx(4.0, abs=0.05)  # half the work in 5 s: 0.4 of it left takes 4 s
