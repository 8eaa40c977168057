"""The job queue under faults: cancel, a full queue, GPU out-of-memory, refusing work while stopping, and a stateful
model. Retention, load and shutdown of the process have their own files."""

from __future__ import annotations

import time

import pytest
import requests
import torch
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import dreamlayer.server.dreaming as dreaming

from ..live_server import TINY, png_bytes, start_server

ORDER = {"queued": 0, "running": 1, "done": 2, "cancelled": 2, "failed": 2}  # how a job's state moves on
# About ten seconds of work on two cores: long enough to be caught running.
LONG = {**TINY, "steps": "200"}


def submit(url: str, fields: dict, size=(256, 256)) -> dict:
    r = requests.post(f"{url}/v1/dreams", files={"image": ("in.png", png_bytes(*size), "image/png")}, data=fields, timeout=10)
    assert r.status_code == 202, r.text
    return r.json()


def status(url: str, job_id: str) -> dict:
    return requests.get(f"{url}/v1/jobs/{job_id}", timeout=10).json()


def wait_for(url: str, job_id: str, states: tuple[str, ...], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = status(url, job_id)
        if s["state"] in states:
            return s
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never reached {states}; last {s}")


@pytest.fixture
def queue_server():
    live = start_server({"MAX_QUEUED": 2})
    yield live
    live.stop()


def test_full_queue_gets_503_with_retry_after_and_cancel_works(queue_server):
    url = queue_server.url
    running = submit(url, LONG)
    wait_for(url, running["id"], ("running",))
    queued = [submit(url, TINY, (64, 48)) for _ in range(2)]
    r = requests.post(f"{url}/v1/dreams", files={"image": ("in.png", png_bytes(), "image/png")}, data=TINY, timeout=10)
    assert r.status_code == 503 and r.json()["error"]["code"] == "queue_full"
    assert int(r.headers["Retry-After"]) >= 1

    # While the long job runs, health, status and cancel still answer.
    assert requests.get(f"{url}/v1/health", timeout=5).json()["queue"]["running"] == running["id"]
    assert status(url, queued[1]["id"])["queue_position"] == 2

    cancelled = requests.post(f"{url}/v1/jobs/{queued[0]['id']}/cancel", timeout=5).json()
    assert cancelled["state"] == "cancelled"
    steps_when_cancelled = status(url, running["id"])["progress"]["step"]
    assert status(url, running["id"])["state"] == "running"
    requests.post(f"{url}/v1/jobs/{running['id']}/cancel", timeout=5)
    final = wait_for(url, running["id"], ("cancelled", "done", "failed"))
    assert final["state"] == "cancelled"
    assert final["progress"]["step"] <= steps_when_cancelled + 2  # stops within a step of being asked
    assert wait_for(url, queued[1]["id"], ("done",))["state"] == "done"
    never = status(url, queued[0]["id"])
    assert never["state"] == "cancelled" and never["started"] is None
    r = requests.get(f"{url}/v1/jobs/{queued[0]['id']}/result", timeout=5)
    assert r.status_code == 409 and r.json()["error"]["code"] == "job_cancelled"


def test_delete_cancels_and_forgets_a_job_whether_it_waits_runs_or_has_ended(queue_server):
    url, queue = queue_server.url, queue_server.queue
    running = submit(url, LONG)
    wait_for(url, running["id"], ("running",))
    waiting = submit(url, TINY, (64, 48))
    for job in (waiting, running):
        r = requests.delete(f"{url}/v1/jobs/{job['id']}", timeout=5)
        assert r.status_code == 204 and not r.content
        gone = requests.get(f"{url}/v1/jobs/{job['id']}", timeout=5)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown_job"
    # The running one stops within a step and keeps nothing: the worker is free for the next dream.
    done = submit(url, TINY, (64, 48))
    assert wait_for(url, done["id"], ("done",))["state"] == "done"
    assert queue.stats()["kept_bytes"] > 0
    assert requests.delete(f"{url}/v1/jobs/{done['id']}", timeout=5).status_code == 204
    assert queue.stats() == {"queued": 0, "running": None, "kept": 0, "kept_bytes": 0}
    assert requests.delete(f"{url}/v1/jobs/{done['id']}", timeout=5).status_code == 404


def test_an_abandoned_job_with_a_lease_is_cancelled(held):
    live, runner = held
    job = submit(live.url, {**TINY, "lease": "1"})
    assert runner.started.wait(10)
    time.sleep(3)  # nobody asks about it (asking would renew the lease): its client is gone
    final = status(live.url, job["id"])
    assert final["state"] == "cancelled" and final["error"]["code"] == "lease_expired"


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


def test_shutting_down_refuses_new_dreams_and_streams_but_answers_health():
    live = start_server()
    try:
        job = submit(live.url, TINY, (64, 48))
        live.queue.shutdown(timeout=5)
        r = requests.post(f"{live.url}/v1/dreams", files={"image": ("in.png", png_bytes(), "image/png")}, data=TINY, timeout=5)
        assert r.status_code == 503 and r.json()["error"]["code"] == "shutting_down"
        r = requests.get(f"{live.url}/v1/jobs/{job['id']}/events", timeout=5)
        assert r.status_code == 503 and r.json()["error"]["code"] == "shutting_down"
        assert requests.get(f"{live.url}/v1/health", timeout=5).json()["accepting"] is False
        assert status(live.url, job["id"])["state"] in ("done", "cancelled")
    finally:
        live.stop()


class SubmitPollCancel(RuleBasedStateMachine):
    """Random submits, polls and cancels: never more than one job runs, and every job ends."""

    live = None

    def __init__(self):
        super().__init__()
        self.jobs: list[str] = []
        self.seen: dict[str, str] = {}

    @rule(steps=__import__("hypothesis").strategies.integers(1, 6))
    def submit(self, steps):
        r = requests.post(f"{self.live.url}/v1/dreams", files={"image": ("in.png", png_bytes(), "image/png")},
                          data={**TINY, "steps": str(steps)}, timeout=10)
        assert r.status_code in (202, 503)
        if r.status_code == 202:
            self.jobs.append(r.json()["id"])

    @rule()
    def poll(self):
        """A job's state only moves on: queued, then running, then how it ended, and never back."""
        for job_id in self.jobs[-3:]:
            state = status(self.live.url, job_id)["state"]
            seen = self.seen.get(job_id, "queued")
            assert ORDER[state] >= ORDER[seen] and (ORDER[seen] < 2 or state == seen), (job_id, seen, state)
            self.seen[job_id] = state

    @rule(data=__import__("hypothesis").strategies.data())
    def cancel(self, data):
        if self.jobs:
            job_id = data.draw(__import__("hypothesis").strategies.sampled_from(self.jobs))
            assert requests.post(f"{self.live.url}/v1/jobs/{job_id}/cancel", timeout=5).status_code == 200

    @invariant()
    def queue_stays_bounded(self):
        assert requests.get(f"{self.live.url}/v1/health", timeout=5).json()["queue"]["queued"] <= 3

    def teardown(self):
        finals = [wait_for(self.live.url, job_id, ("done", "cancelled", "failed")) for job_id in self.jobs]
        assert all(f["state"] in ("done", "cancelled") for f in finals)
        # Never more than one running: the jobs' run intervals, taken once all have ended, never overlap.
        runs = sorted((f["started"], f["finished"]) for f in finals if f["started"] is not None)
        assert all(later[0] >= earlier[1] for earlier, later in zip(runs, runs[1:]))


def test_stateful_submit_poll_cancel():
    live = start_server({"MAX_QUEUED": 3})
    SubmitPollCancel.live = live
    try:
        runner = SubmitPollCancel.TestCase()
        runner.settings = settings(max_examples=8, stateful_step_count=8, deadline=None)
        runner.runTest()
    finally:
        live.stop()
