"""The server's runner on a GPU: the start-up warm-up (which shapes, never blocking service), the engine options
from the server's configuration, and previews sent without holding up the dream."""

from __future__ import annotations

import threading

import torch
from dreamlayer.engine.buckets import bucket_shapes
from dreamlayer.params.resolved import resolve_dream
from dreamlayer.engine.steps import WARMUP_RUNS
from dreamlayer.params import preset_params
from dreamlayer.server import dreaming
from dreamlayer.server.app import DEFAULTS, engine_options
from dreamlayer.server.dreaming import WARM_UP_SHAPES, DreamRunner, Previews


def buckets_of(width: int, height: int) -> set:
    return set(bucket_shapes(resolve_dream(preset_params("classic"), width, height).octaves, 16))


def test_warm_up_covers_the_buckets_of_common_photo_sizes():
    warmed = set().union(*(buckets_of(w, h) for h, w in WARM_UP_SHAPES))
    for width, height in [(4000, 3000), (3000, 4000), (6000, 4000), (1920, 1080), (1080, 1920), (2048, 2048),
                          (1024, 1024), (5000, 4000), (2000, 1500)]:
        assert buckets_of(width, height) <= warmed, (width, height)


def test_warm_up_dreams_each_shape_long_enough_to_capture_and_never_blocks(net, monkeypatch):
    """MOCK: the engine call is replaced (this test is about the runner, not the dream); the last one fails."""
    calls = []

    def fake_dream(_net, picture, params, **kwargs):
        calls.append((picture.shape[:2], params.steps, params.scale))
        if len(calls) == len(WARM_UP_SHAPES):
            raise RuntimeError("simulated failure")

    monkeypatch.setattr(dreaming, "dream", fake_dream)
    runner = DreamRunner(torch.device("cpu"), None)
    runner._nets["lite0"] = net
    assert runner.wait_until_warm(0)  # the CPU has nothing to warm
    runner._warm.clear()
    runner._warm_up("lite0")
    assert [shape for shape, _, _ in calls] == WARM_UP_SHAPES
    assert all(steps > WARMUP_RUNS and scale == 1.0 for _, steps, scale in calls)
    assert runner.wait_until_warm(0) and runner.warm_up_seconds is None  # failed, and jobs may go on


def test_server_options_reach_the_engine():
    assert engine_options(DEFAULTS).memory_budget is None and engine_options(DEFAULTS).compile_backend is None
    options = engine_options({**DEFAULTS, "GPU_MEMORY_BUDGET": 3.5, "COMPILE": True})
    assert options.memory_budget == int(3.5 * 2**30) and options.compile_backend == "inductor"


def test_previews_do_not_hold_up_the_dream_and_the_last_one_is_sent():
    """The report is stuck until released: the dream hands over all four octaves' previews meanwhile."""
    sent, release = [], threading.Event()

    def stuck_report(png: bytes) -> None:
        release.wait(timeout=30)
        sent.append(png)

    with Previews(stuck_report) as previews:
        for octave in range(1, 5):
            previews(octave, torch.full((3, 8, 8), octave / 4))
        assert sent == []  # handed over, none sent yet: the dream did not wait
        release.set()
    assert 1 <= len(sent) <= 4 and sent[-1] == dreaming._preview_png(torch.full((3, 8, 8), 1.0))
