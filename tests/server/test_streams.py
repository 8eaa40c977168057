"""Event streams of a job's status: progress and previews as they come; many open streams never block health,
status or cancel, and one beyond the cap gets a clear 503 (the gate that counts them, and closes at shutdown);
following a job through its events keeps its lease alive, and leaving lets it run out."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from PIL import Image

from dreamlayer.server.errors import ApiError
from dreamlayer.server.jobs import JobQueue
from dreamlayer.server.streams import StreamGate

from dreamlayer_editor.client import DreamClient

from ..held_runner import HeldRunner
from ..live_server import TINY, LiveServer, png_bytes, start_server

# The promise: these answer within a second whatever else is open.
ANSWER_WITHIN = 1.0
# A held job reports a step this often, as a small real dream does: each open stream is sent an event per step.
STEP_SECONDS = 0.05


def submit(url: str, fields: dict) -> str:
    r = requests.post(f"{url}/v1/dreams", files={"image": ("in.png", png_bytes(256, 256), "image/png")}, data=fields, timeout=10)
    assert r.status_code == 202, r.text
    return r.json()["id"]


def wait_running(live: LiveServer, job_id: str, timeout: float = 60) -> None:
    """Without asking over HTTP, which would count as asking about the job (and refresh its lease)."""
    deadline = time.monotonic() + timeout
    while live.queue.stats()["running"] != job_id:
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.02)


def wait_ended(live: LiveServer, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while live.queue.stats()["running"] == job_id or live.queue.stats()["queued"]:
        assert time.monotonic() < deadline, "the job never ended"
        time.sleep(0.05)
    return requests.get(f"{live.url}/v1/jobs/{job_id}", timeout=10).json()


def slowest_answer(live: LiveServer, job_id: str, times: int = 5) -> float:
    """Health and status ``times`` times each, on fresh connections, each within ANSWER_WITHIN: the slowest."""
    slowest = 0.0
    for _ in range(times):
        for path in ("/v1/health", f"/v1/jobs/{job_id}"):
            start = time.monotonic()
            r = requests.get(live.url + path, timeout=ANSWER_WITHIN)
            assert r.status_code == 200
            slowest = max(slowest, time.monotonic() - start)
    return slowest


def cancel_within_a_second(live: LiveServer, job_id: str) -> float:
    start = time.monotonic()
    r = requests.post(f"{live.url}/v1/jobs/{job_id}/cancel", timeout=ANSWER_WITHIN)
    assert r.status_code == 200
    return time.monotonic() - start


@contextmanager
def held_server(config: dict | None = None) -> Iterator[tuple[LiveServer, HeldRunner]]:
    """A server whose jobs run until released (tests/held_runner.py), so a job is running for as long as a test
    needs: the server and its runner."""
    runner = HeldRunner(STEP_SECONDS)
    live = start_server(config, runner)
    try:
        yield live, runner
    finally:
        runner.release()
        live.stop()


def test_twenty_event_streams_leave_health_status_and_cancel_answering():
    with held_server() as (live, _):
        job_id = submit(live.url, TINY)
        wait_running(live, job_id)
        first_seen, finals = threading.Barrier(21, timeout=30), []

        def follow() -> None:
            states = []
            for status in DreamClient(live.url, timeout=30).events(job_id):
                if not states:
                    first_seen.wait()
                states.append(status.state)
            finals.append(states[-1])

        followers = [threading.Thread(target=follow) for _ in range(20)]
        for follower in followers:
            follower.start()
        first_seen.wait()  # all twenty streams are open and have had their first event
        assert requests.get(f"{live.url}/v1/health", timeout=ANSWER_WITHIN).json()["event_streams"]["open"] == 20

        assert slowest_answer(live, job_id) < ANSWER_WITHIN
        assert cancel_within_a_second(live, job_id) < ANSWER_WITHIN
        for follower in followers:
            follower.join(30)
        assert finals == ["cancelled"] * 20
        assert requests.get(f"{live.url}/v1/health", timeout=5).json()["event_streams"]["open"] == 0


def test_a_stream_beyond_the_cap_gets_a_clear_503():
    with held_server({"MAX_STREAMS": 2}) as (live, _):
        job_id = submit(live.url, TINY)
        wait_running(live, job_id)
        streams = [requests.get(f"{live.url}/v1/jobs/{job_id}/events", stream=True, timeout=10) for _ in range(2)]
        assert [s.status_code for s in streams] == [200, 200]
        refused = requests.get(f"{live.url}/v1/jobs/{job_id}/events", timeout=ANSWER_WITHIN)
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "too_many_streams"
        assert int(refused.headers["Retry-After"]) >= 1 and "Poll the job's status" in refused.json()["error"]["message"]
        assert slowest_answer(live, job_id) < ANSWER_WITHIN

        streams[0].close()  # the server notices at its next write (the running job sends one each step)
        deadline = time.monotonic() + 10
        while (again := requests.get(f"{live.url}/v1/jobs/{job_id}/events", stream=True, timeout=10)).status_code == 503:
            assert time.monotonic() < deadline, "a closed stream's place was never freed"
            time.sleep(0.1)
        again.close()
        assert cancel_within_a_second(live, job_id) < ANSWER_WITHIN
        streams[1].close()


def test_an_open_event_stream_keeps_a_leased_job_alive():
    with held_server() as (live, runner):
        job_id = submit(live.url, {**TINY, "lease": "1"})
        states: list[str] = []
        follower = threading.Thread(target=lambda: states.extend(
            status.state for status in DreamClient(live.url, timeout=30).events(job_id)))
        follower.start()
        assert runner.started.wait(10)
        # Only the event stream asks about the job: without it, the lease would cancel it after a second. It runs
        # for over twice its lease before it is let finish: a duration the test sets, not one it waits to see.
        time.sleep(2.5)
        runner.release()
        follower.join(30)
        final = requests.get(f"{live.url}/v1/jobs/{job_id}", timeout=10).json()
        assert states[-1] == "done" and final["state"] == "done"
        assert final["finished"] - final["started"] > 1.5, "the dream ended too soon to show its lease was kept"


def test_a_follower_that_leaves_no_longer_keeps_the_job():
    with held_server() as (live, _):
        job_id = submit(live.url, {**TINY, "lease": "1"})
        stream = requests.get(f"{live.url}/v1/jobs/{job_id}/events", stream=True, timeout=10)
        lines = stream.iter_lines()
        while b"running" not in next(lines):  # follow until the dream runs...
            pass
        stream.close()  # ...then leave, as a plug-in killed by its editor would
        final = wait_ended(live, job_id, timeout=30)  # held: only its lease can end it
        assert final["state"] == "cancelled" and final["error"]["code"] == "lease_expired"


def test_progress_events_and_preview(server):
    r = requests.post(f"{server.url}/v1/dreams", files={"image": ("in.png", png_bytes(128, 96), "image/png")},
                      data={**TINY, "octaves": "2", "steps": "3", "octave_scale": "1.2"}, timeout=5)
    job_id = r.json()["id"]
    events = []
    with requests.get(f"{server.url}/v1/jobs/{job_id}/events", stream=True, timeout=60) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if events[-1]["state"] in ("done", "failed", "cancelled"):
                    break
    assert events[-1]["state"] == "done"
    steps = [e["progress"]["step"] for e in events]
    assert steps == sorted(steps) and steps[-1] == events[-1]["progress"]["total"] == 6
    preview = requests.get(f"{server.url}/v1/jobs/{job_id}/preview", timeout=5)
    assert preview.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(preview.content)).size == (128, 96)


def test_the_gate_counts_streams_in_and_out_and_refuses_beyond_its_cap():
    gate = StreamGate(2)
    gate.admit()
    gate.admit()
    with pytest.raises(ApiError) as full:
        gate.admit()
    assert (full.value.status, full.value.code, full.value.headers) == (503, "too_many_streams", {"Retry-After": "5"})
    gate.release()
    gate.admit()  # a place was freed
    assert gate.open == 2


def test_closing_the_gate_refuses_new_streams_and_waits_for_the_open_ones():
    gate, queue = StreamGate(4), JobQueue(HeldRunner())  # the queue's worker is never started: nothing runs
    gate.admit()
    threading.Timer(0.2, gate.release).start()  # the open stream ends a moment later, as a woken one does
    start = time.monotonic()
    assert gate.close_all(queue, timeout=5) == 1
    assert 0.15 < time.monotonic() - start < 5 and gate.open == 0  # it waited for that stream, not for the timeout
    with pytest.raises(ApiError) as closing:
        gate.admit()
    assert closing.value.code == "shutting_down"
