"""The studio's server on Ray (dreamlayer.cluster) over real HTTP: dreams fan out to two CPU workers, a killed
worker's job runs again on the other, cancel reaches the worker, films stay on one worker each, and the pixels are
the single-machine server's."""

from __future__ import annotations

import importlib.util
import io
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import requests
from PIL import Image

from ..editors import REPO
from ..live_server import png_bytes

# 2 octaves of 6 steps on 160×120: 1-3 s on one core, so that four of them on two workers overlap in pairs.
SHORT = {"octaves": "2", "steps": "6", "scale": "1", "jitter": "8"}
# 40 steps on 256×192: long enough to be killed or cancelled at a step well before its end.
LONG = {"octaves": "2", "steps": "40", "scale": "1", "jitter": "8"}


def submit(url: str, fields: dict[str, str], size: tuple[int, int] = (160, 120)) -> str:
    response = requests.post(f"{url}/v1/dreams", files={"image": ("in.png", png_bytes(*size), "image/png")},
                             data=fields, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def status(url: str, job_id: str) -> dict:
    return requests.get(f"{url}/v1/jobs/{job_id}", timeout=10).json()


def wait_for(url: str, job_id: str, ready, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = status(url, job_id)
        if ready(now):
            return now
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never got there: {now}")


def finished(url: str, job_id: str) -> dict:
    return wait_for(url, job_id, lambda s: s["state"] in ("done", "failed", "cancelled"))


def pixels(url: str, job_id: str) -> np.ndarray:
    response = requests.get(f"{url}/v1/jobs/{job_id}/result", timeout=30)
    assert response.status_code == 200, response.text
    return np.asarray(Image.open(io.BytesIO(response.content)))


def workers(url: str) -> list[dict]:
    return requests.get(f"{url}/v1/health", timeout=10).json()["cluster"]["workers"]


def all_ready(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while any(w["state"] != "ready" for w in workers(url)):
        assert time.monotonic() < deadline, workers(url)
        time.sleep(0.2)


def running_step(url: str, job_id: str) -> dict:
    """The job's status once it runs on a worker past its first step."""
    return wait_for(url, job_id, lambda s: s["state"] == "running" and s["worker"] and s["progress"]["step"] >= 1)


def kill_worker_of(url: str, job_id: str) -> dict:
    worker = next(w for w in workers(url) if w["job"] == job_id)
    os.kill(worker["pid"], signal.SIGKILL)
    return worker


def test_four_dreams_run_two_at_a_time_on_both_workers(studio):
    jobs = [submit(studio, {**SHORT, "seed": str(seed)}) for seed in range(1, 5)]
    ends = [finished(studio, job) for job in jobs]
    assert all(end["state"] == "done" for end in ends), ends
    assert {end["worker"] for end in ends} == {w["name"] for w in workers(studio)}
    intervals = [(end["started"], end["finished"]) for end in ends]
    at_once = max(sum(start <= moment < stop for start, stop in intervals) for moment, _ in intervals)
    assert at_once == 2  # two workers: two at a time, never three
    overlapping = sum(a[0] < b[1] and b[0] < a[1] for i, a in enumerate(intervals) for b in intervals[i + 1:])
    assert overlapping >= 2  # the first two together, then the next two


def test_a_dream_through_the_cluster_has_the_single_servers_pixels(studio, single):
    fields = {**SHORT, "seed": "7"}
    on_cluster, on_one = submit(studio, fields), submit(single, fields)
    assert finished(studio, on_cluster)["state"] == "done" and finished(single, on_one)["state"] == "done"
    assert np.array_equal(pixels(studio, on_cluster), pixels(single, on_one))


def test_a_killed_workers_job_runs_again_on_the_other(studio, single):
    all_ready(studio)
    fields = {**LONG, "seed": "11"}
    job = submit(studio, fields, (128, 96))
    first = running_step(studio, job)
    killed = kill_worker_of(studio, job)
    end = finished(studio, job)
    assert end["state"] == "done", end
    assert end["retries"] == 1 and killed["name"] in end["notice"] and end["worker"] != first["worker"]
    # Run again from the start: the same picture as a single-machine dream that was never interrupted.
    undisturbed = submit(single, fields, (128, 96))
    assert finished(single, undisturbed)["state"] == "done"
    assert np.array_equal(pixels(studio, job), pixels(single, undisturbed))
    all_ready(studio)  # Ray started the killed worker again: it takes jobs again
    assert {w["pid"] for w in workers(studio)}.isdisjoint({killed["pid"]})


def test_a_job_that_loses_its_worker_twice_fails_with_a_message(studio):
    all_ready(studio)
    job = submit(studio, {**LONG, "seed": "12"}, (128, 96))
    running_step(studio, job)
    kill_worker_of(studio, job)
    wait_for(studio, job, lambda s: s["retries"] == 1 and s["worker"] and s["progress"]["step"] >= 1)
    kill_worker_of(studio, job)
    end = finished(studio, job)
    assert end["state"] == "failed" and end["error"]["code"] == "worker_lost"
    assert "lost twice" in end["error"]["message"]
    all_ready(studio)


def test_cancel_reaches_the_worker_within_a_step(studio):
    all_ready(studio)
    job = submit(studio, {**LONG, "seed": "13"}, (512, 384))
    # In its larger octave, where a step of 512×384 takes 0.1-0.2 s on one core of this machine.
    before = wait_for(studio, job, lambda s: s["state"] == "running" and s["progress"]["octave"] == 2)
    response = requests.post(f"{studio}/v1/jobs/{job}/cancel", timeout=10)
    assert response.status_code == 200
    at_cancel = response.json()["progress"]["step"]
    end = finished(studio, job)
    assert end["state"] == "cancelled" and end["progress"]["total"] == 80
    # The front passes a cancel on at once, and the worker looks at it at every step: the job stops at the end of
    # the step under way (measured: 1 step after the status the cancel answered, in 10 runs of 10), or of the next
    # if the cancel landed just as a step began: 2 leaves that one step of margin.
    assert end["progress"]["step"] - at_cancel <= 2, (before["progress"], at_cancel, end["progress"])
    all_ready(studio, timeout=30)  # the worker is free again, not still dreaming the cancelled job


def test_a_zoom_and_a_video_run_side_by_side_each_on_one_worker(studio):
    all_ready(studio)
    film = {"octaves": "1", "steps_per_frame": "3", "scale": "1", "seed": "21"}
    zoom = requests.post(f"{studio}/v1/zooms", files={k: (None, v) for k, v in {**film, "width": "96", "height": "72",
                                                                                "frames": "4"}.items()}, timeout=30)
    video = requests.post(f"{studio}/v1/videos", data=film, timeout=30,
                          files=[("frame", (f"{n}.png", png_bytes(96, 72), "image/png")) for n in range(4)])
    assert zoom.status_code == 202 and video.status_code == 202, (zoom.text, video.text)
    films = [zoom.json()["id"], video.json()["id"]]
    seen: dict[str, set[str]] = {job: set() for job in films}
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        now = {job: status(studio, job) for job in films}
        for job, state in now.items():
            if state["worker"]:
                seen[job].add(state["worker"])
        if all(s["state"] in ("done", "failed", "cancelled") for s in now.values()):
            break
        time.sleep(0.02)
    assert all(s["state"] == "done" and s["frames"]["done"] == 4 for s in now.values()), now
    assert all(len(names) == 1 for names in seen.values()) and seen[films[0]] != seen[films[1]]  # one worker each
    a, b = (now[job] for job in films)
    assert a["started"] < b["finished"] and b["started"] < a["finished"]  # side by side
    for job in films:
        made = requests.get(f"{studio}/v1/jobs/{job}/result", timeout=30)
        assert made.status_code == 200 and made.content[4:8] == b"ftyp"  # the film, an MP4, whole from the worker
        frame = requests.get(f"{studio}/v1/jobs/{job}/frames/3", timeout=30)
        assert frame.status_code == 200 and Image.open(io.BytesIO(frame.content)).size == (96, 72)


def test_without_cluster_ray_is_never_imported():
    code = ("import sys; from dreamlayer.server import create_app; create_app({'WARM_MODEL': None, 'DEVICE': 'cpu'}); "
            "from dreamlayer.cli import main; assert 'ray' not in sys.modules, 'ray was imported'")
    run = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO / "server")},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("arguments, says", [
    (["--workers", "2"], "give --cluster ADDRESS"),
    (["--cluster", "nonsense"], "give the Ray head's HOST:PORT"),
    (["--cluster", "127.0.0.1:1"], "No Ray head answers at 127.0.0.1:1"),  # Ray itself would try for minutes
])
def test_a_cluster_mistake_is_said_in_one_line_before_anything_loads(arguments, says):
    if "--cluster" in arguments and importlib.util.find_spec("ray") is None:
        says = "needs Ray"  # said first, whatever the address
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "serve", *arguments], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO / "server")}, timeout=60)
    assert run.returncode != 0 and says in run.stderr and "Traceback" not in run.stderr, run.stderr


def test_serve_help_shows_the_cluster_flags():
    run = subprocess.run([sys.executable, "-m", "dreamlayer", "serve", "--help"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO / "server")}, timeout=60)
    assert run.returncode == 0 and all(flag in run.stdout for flag in ("--cluster ADDRESS", "--worker-cpus", "--workers"))
