"""The job queue under faults: cancel, delete, a full queue, refusing work while stopping, a stateful model, and
thirty clients at once. A job's lease, the runner's GPU out-of-memory, retention and the process's shutdown have
their own files (test_job.py, test_dreaming.py, test_retention.py, test_shutdown.py)."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import requests
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from dreamlayer.server.jobs import JobQueue

from ..held_runner import HeldRunner
from ..live_server import TINY, png_bytes, start_server

ORDER = {"queued": 0, "running": 1, "done": 2, "cancelled": 2, "failed": 2}  # how a job's state moves on


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
    """A server with room for two waiting jobs, whose jobs run until released (tests/held_runner.py): the first
    job stays running for as long as a test needs it to. Yields the server and the runner."""
    runner = HeldRunner()
    live = start_server({"MAX_QUEUED": 2}, runner)
    yield live, runner
    runner.release()
    live.stop()


def wait_worker_free(live, timeout: float = 10) -> None:
    """Until no job runs (the queue's own count: no request about a job)."""
    deadline = time.monotonic() + timeout
    while live.queue.stats()["running"] is not None:
        assert time.monotonic() < deadline, "the running job never stopped"
        time.sleep(0.01)


def test_full_queue_gets_503_with_retry_after_and_cancel_works(queue_server):
    live, runner = queue_server
    url = live.url
    running = submit(url, TINY, (64, 48))
    assert runner.started.wait(10)
    wait_for(url, running["id"], ("running",))
    queued = [submit(url, TINY, (64, 48)) for _ in range(2)]
    r = requests.post(f"{url}/v1/dreams", files={"image": ("in.png", png_bytes(), "image/png")}, data=TINY, timeout=10)
    assert r.status_code == 503 and r.json()["error"]["code"] == "queue_full"
    assert int(r.headers["Retry-After"]) >= 1

    # While the held job runs, health, status and cancel still answer.
    assert requests.get(f"{url}/v1/health", timeout=5).json()["queue"]["running"] == running["id"]
    assert status(url, queued[1]["id"])["queue_position"] == 2

    cancelled = requests.post(f"{url}/v1/jobs/{queued[0]['id']}/cancel", timeout=5).json()
    assert cancelled["state"] == "cancelled"
    assert status(url, running["id"])["state"] == "running"
    requests.post(f"{url}/v1/jobs/{running['id']}/cancel", timeout=5)
    # Its cancel flag is set once the cancel is answered: from the step reported after that, at most one more.
    steps_when_cancelled = status(url, running["id"])["progress"]["step"]
    final = wait_for(url, running["id"], ("cancelled", "done", "failed"))
    assert final["state"] == "cancelled"
    assert final["progress"]["step"] <= steps_when_cancelled + 1  # stops within a step of being asked
    runner.release()  # the next job, the last one waiting, may finish
    assert wait_for(url, queued[1]["id"], ("done",))["state"] == "done"
    never = status(url, queued[0]["id"])
    assert never["state"] == "cancelled" and never["started"] is None
    r = requests.get(f"{url}/v1/jobs/{queued[0]['id']}/result", timeout=5)
    assert r.status_code == 409 and r.json()["error"]["code"] == "job_cancelled"


def test_delete_cancels_and_forgets_a_job_whether_it_waits_runs_or_has_ended(queue_server):
    live, runner = queue_server
    url, queue = live.url, live.queue
    running = submit(url, TINY, (64, 48))
    assert runner.started.wait(10)
    wait_for(url, running["id"], ("running",))
    waiting = submit(url, TINY, (64, 48))
    for job in (waiting, running):
        r = requests.delete(f"{url}/v1/jobs/{job['id']}", timeout=5)
        assert r.status_code == 204 and not r.content
        gone = requests.get(f"{url}/v1/jobs/{job['id']}", timeout=5)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "unknown_job"
    # The running one stops at its next step, though still held, and keeps nothing: the worker is free for the
    # next dream, which may finish.
    wait_worker_free(live)
    runner.release()
    done = submit(url, TINY, (64, 48))
    assert wait_for(url, done["id"], ("done",))["state"] == "done"
    assert queue.stats()["kept_bytes"] > 0
    assert requests.delete(f"{url}/v1/jobs/{done['id']}", timeout=5).status_code == 204
    assert queue.stats() == {"queued": 0, "running": None, "kept": 0, "kept_bytes": 0, "running_jobs": [], "workers": 1}
    assert requests.delete(f"{url}/v1/jobs/{done['id']}", timeout=5).status_code == 404


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

CLIENTS, DREAMS_EACH = 30, 5


class Client:
    """One artist's batch: submit five, retrying on 503 after Retry-After; then poll each until it ends, fetch its result."""

    def __init__(self, url: str):
        self.url, self.session = url, requests.Session()
        self.statuses: Counter[int] = Counter()
        self.problems: list[str] = []
        self.done = 0

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        r = self.session.request(method, self.url + path, timeout=30, **kwargs)
        self.statuses[r.status_code] += 1
        if r.status_code >= 500 and not (r.status_code == 503 and r.json()["error"]["code"] == "queue_full"
                                          and int(r.headers["Retry-After"]) >= 1):
            self.problems.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
        return r

    def submit(self, picture: bytes) -> str:
        while True:
            r = self._call("POST", "/v1/dreams", files={"image": ("in.png", picture, "image/png")}, data=TINY)
            if r.status_code != 503:
                assert r.status_code == 202, r.text
                return r.json()["id"]
            time.sleep(int(r.headers["Retry-After"]))

    def follow(self, job_id: str) -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            r = self._call("GET", f"/v1/jobs/{job_id}")
            if r.status_code != 200:
                self.problems.append(f"job {job_id} went to {r.status_code} {r.text[:200]} while polled")
                return
            if r.json()["state"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        if r.json()["state"] != "done":
            self.problems.append(f"job {job_id} ended {r.json()['state']}")
            return
        result = self._call("GET", f"/v1/jobs/{job_id}/result")
        if result.status_code == 200 and result.content.startswith(b"\x89PNG"):
            self.done += 1
        else:
            self.problems.append(f"job {job_id}: result {result.status_code}")

    def run(self) -> None:
        picture = png_bytes(64, 48)
        try:
            # All five first, then each followed: the first results wait while many other jobs finish.
            for job_id in [self.submit(picture) for _ in range(DREAMS_EACH)]:
                self.follow(job_id)
        except Exception as exc:  # noqa: BLE001 - reported by the test, with the others' problems
            self.problems.append(repr(exc))


@pytest.mark.slow
def test_thirty_clients_each_get_all_five_dreams():
    live = start_server()
    try:
        clients = [Client(live.url) for _ in range(CLIENTS)]
        threads = [threading.Thread(target=client.run) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(900)
        problems = [p for client in clients for p in client.problems]
        assert not problems, problems[:10]
        assert sum(client.done for client in clients) == CLIENTS * DREAMS_EACH
        statuses = sum((client.statuses for client in clients), Counter())
        assert statuses[503] > 0, "the queue never filled: the test did not exercise retrying"
        assert not [code for code in statuses if code >= 500 and code != 503]
    finally:
        live.stop()


def test_a_clusters_jobs_leave_this_machines_device_to_atlases_and_live_dreams():
    """Queued but never started (the queues' workers are not started): busy either way; the device only here."""
    def never_runs(job, queue):
        raise AssertionError("not started")

    here, cluster = JobQueue(never_runs), JobQueue(never_runs, workers=2, local_device=False)
    for queue in (here, cluster):
        queue.submit(object())
        assert queue.busy()
    assert here.device_busy() and not cluster.device_busy()
    assert cluster.stats()["workers"] == 2
