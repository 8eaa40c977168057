"""The server's runner (DreamRunner): the start-up warm-up on a GPU (which shapes, never blocking service),
previews sent without holding up the dream, GPU out-of-memory retried with smaller tiles, and the zoom and video
jobs, which stream their frames and make their film."""

from __future__ import annotations

import io
import threading
import time

import numpy as np
import pytest
import requests
import torch
from PIL import Image

from dreamlayer.engine.buckets import bucket_shapes
from dreamlayer.engine.steps import WARMUP_RUNS
from dreamlayer.params import preset_params
from dreamlayer.params.resolved import resolve_dream
from dreamlayer.server import dreaming
from dreamlayer.server.dreaming import WARM_UP_SHAPES, DreamRunner, Previews

from ..clips import H, W, clip_frame
from ..live_server import TINY
from .test_jobs import submit, wait_for


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


def _wait(url: str, job_id: str, states=("done", "failed", "cancelled"), timeout=120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(f"{url}/v1/jobs/{job_id}", timeout=5).json()
        if status["state"] in states:
            return status
        time.sleep(0.05)
    raise AssertionError(status)


def post_zoom(url: str, fields: dict) -> requests.Response:
    """Fields as multipart/form-data, the one form a zoom is accepted in."""
    return requests.post(f"{url}/v1/zooms", files={k: (None, v) for k, v in fields.items()}, timeout=10)


def test_server_zoom_streams_frames_and_returns_the_film(server):
    fields = {"width": "96", "height": "64", "frames": "3", "octaves": "1", "steps_per_frame": "2", "scale": "1", "format": "gif"}
    r = post_zoom(server.url, fields)
    assert r.status_code == 202, r.text
    job = _wait(server.url, r.json()["id"])
    assert job["state"] == "done" and job["frames"] == {"done": 3, "total": 3}
    assert job["film"]["format"] == "gif" and job["settings"]["steps"] == 2  # the film's steps_per_frame ran
    frame = requests.get(f"{server.url}/v1/jobs/{job['id']}/frames/2", timeout=5)
    assert frame.headers["Content-Type"] == "image/png"
    film = requests.get(f"{server.url}/v1/jobs/{job['id']}/result", timeout=5)
    assert film.headers["Content-Type"] == "image/gif"
    missing = requests.get(f"{server.url}/v1/jobs/{job['id']}/frames/3", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_such_frame"  # the film is whole
    assert "has 3 frames (0 to 2)" in missing.json()["error"]["message"]


# A zoom far too long to end on its own while a test runs.
ENDLESS_ZOOM = {"width": "128", "height": "128", "frames": "400", "steps_per_frame": "3", "octaves": "1", "scale": "1"}


def test_server_zoom_can_be_cancelled(server):
    """A real zoom, so that its frames' own cancel checks are the ones that stop it (the queue's cancel path is
    tested with a held job in test_jobs.py)."""
    r = post_zoom(server.url, ENDLESS_ZOOM)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    deadline = time.monotonic() + 60
    while requests.get(f"{server.url}/v1/jobs/{job_id}", timeout=5).json()["frames"]["done"] < 1:
        assert time.monotonic() < deadline, "the zoom made no frame"
        time.sleep(0.05)
    requests.post(f"{server.url}/v1/jobs/{job_id}/cancel", timeout=5)
    final = _wait(server.url, job_id)
    assert final["state"] == "cancelled" and 1 <= final["frames"]["done"] < 400


def png(frame: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray((frame * 255 + 0.5).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_server_dreams_a_sequence_of_frames_and_returns_them_as_made(server):
    from dreamlayer_editor.client import DreamClient
    from dreamlayer_editor.protocol import ClientError, JobState

    client = DreamClient(server.url)
    settings = {"octaves": 1, "steps": 4, "steps_per_frame": 2, "scale": 1, "seed": 3, "format": "gif", "lease": 30}
    job = client.submit_video([png(clip_frame(t)) for t in range(4)], settings)
    assert job.kind == "video" and job.frames.total == 4 and job.film["format"] == "gif"
    final = client.wait(job.id, poll_seconds=0.05)
    assert final.state == JobState.DONE and final.frames.done == 4
    frames = [client.frame(job.id, i) for i in range(4)]
    assert all(frames)
    with pytest.raises(ClientError, match="There is no frame 4: this video has 4 frames") as past_the_end:
        client.frame(job.id, 4)
    assert past_the_end.value.code == "no_such_frame"
    with Image.open(io.BytesIO(client.result(job.id).image)) as film:
        assert film.n_frames == 4 and film.size == (W, H)


@pytest.fixture
def fake_gpu_oom(monkeypatch):
    """MOCK: there is no GPU here, so out-of-memory is simulated by raising torch.OutOfMemoryError from the
    engine call for tiles above a threshold; the retry logic around it is the real one."""
    real_dream, calls = dreaming.dream, []

    def install(fails_at_or_above: int):
        def fake(net, image, resolved, **kwargs):
            calls.append(resolved.params.tile)
            if (resolved.params.tile or 1024) >= fails_at_or_above:
                raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
            return real_dream(net, image, resolved, **kwargs)

        monkeypatch.setattr(dreaming, "dream", fake)
        return calls

    return install


def test_out_of_memory_retries_once_with_smaller_tiles(server, fake_gpu_oom):
    calls = fake_gpu_oom(1024)
    job = submit(server.url, TINY, (64, 48))
    assert wait_for(server.url, job["id"], ("done", "failed"))["state"] == "done"
    assert calls == [0, 512]


def test_out_of_memory_twice_fails_with_a_structured_error(server, fake_gpu_oom):
    calls = fake_gpu_oom(1)
    job = submit(server.url, TINY, (64, 48))
    final = wait_for(server.url, job["id"], ("done", "failed"))
    assert final["state"] == "failed" and final["error"]["code"] == "gpu_out_of_memory"
    assert calls == [0, 512]
    assert submit(server.url, TINY, (64, 48))  # and the server goes on
