"""Finished results are kept for their time-to-live whatever the number of later jobs, within a memory budget;
one dropped by the budget says ``expired`` instead of disappearing."""

from __future__ import annotations

import time

import requests

from dreamlayer.server.job import DONE, Job, Result
from dreamlayer.server.retention import Retention

from ..live_server import TINY, png_bytes, start_server


def submit(url: str, fields: dict = TINY) -> str:
    r = requests.post(f"{url}/v1/dreams", files={"image": ("in.png", png_bytes(64, 48), "image/png")}, data=fields, timeout=10)
    assert r.status_code == 202, r.text
    return r.json()["id"]


def wait_done(url: str, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(f"{url}/v1/jobs/{job_id}", timeout=10).json()
        if status["state"] in ("done", "failed", "cancelled", "expired"):
            return status
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not end: {status}")


def test_results_outlive_many_later_jobs():
    # The old queue forgot a result once 64 newer jobs had finished, seconds after it was made.
    live = start_server({"MAX_QUEUED": 100})
    try:
        ids = [submit(live.url) for _ in range(70)]
        for job_id in ids:
            assert wait_done(live.url, job_id)["state"] == "done"
        for job_id in ids:
            r = requests.get(f"{live.url}/v1/jobs/{job_id}/result", timeout=10)
            assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
        assert live.queue.stats()["kept"] == 70
    finally:
        live.stop()


def test_a_result_dropped_by_the_memory_budget_says_expired():
    live = start_server({"MAX_KEPT_BYTES": 1})  # every result is over budget: only the newest is kept
    try:
        first = submit(live.url)
        assert wait_done(live.url, first)["state"] == "done"  # the newest result is always kept
        second = submit(live.url)
        assert wait_done(live.url, second)["state"] == "done"

        status = requests.get(f"{live.url}/v1/jobs/{first}", timeout=10)
        assert status.status_code == 200
        assert status.json()["state"] == "expired" and status.json()["error"]["code"] == "expired"
        assert "--result-memory" in status.json()["error"]["message"]
        for part in ("result", "preview"):
            r = requests.get(f"{live.url}/v1/jobs/{first}/{part}", timeout=10)
            assert r.status_code == 410 and r.json()["error"]["code"] == "expired"
        assert requests.get(f"{live.url}/v1/jobs/{second}/result", timeout=10).status_code == 200
    finally:
        live.stop()


def test_results_are_forgotten_after_their_time_to_live():
    live = start_server({"RESULT_TTL": 0.5})
    try:
        ids = [submit(live.url) for _ in range(3)]
        for job_id in ids:
            wait_done(live.url, job_id)
        time.sleep(0.7)
        r = requests.get(f"{live.url}/v1/jobs/{ids[-1]}", timeout=10)
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_job"
        assert live.queue.stats()["kept"] == 0 and live.queue.stats()["kept_bytes"] == 0
    finally:
        live.stop()


def _finished(name: str, size: int, fetched: bool = False) -> Job:
    job = Job(name, "dream", None, state=DONE, finished=time.time(), result=Result(b"x" * size, "image/png"))
    job.fetched = fetched
    return job


def test_the_budget_drops_fetched_results_first_then_the_oldest_never_the_newest():
    dropped: list[str] = []
    retention = Retention(ttl=600, max_bytes=250, drop=lambda job: dropped.append(job.id))
    retention.add(_finished("old", 100))
    retention.add(_finished("fetched", 100, fetched=True))
    assert dropped == [] and retention.kept_bytes == 200
    retention.add(_finished("new", 100))  # 300 > 250: the fetched one makes room, though it is younger
    assert dropped == ["fetched"] and retention.kept_bytes == 200
    retention.add(_finished("huge", 1000))  # alone over budget: everything older goes, the newest stays
    assert dropped == ["fetched", "old", "new"] and retention.kept_bytes == 1000
    assert retention.forget_old(time.time() + 601) == ["old", "fetched", "new", "huge"]
    assert retention.kept_bytes == 0
