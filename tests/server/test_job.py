"""One job: a lease that runs out cancels it and says so, in its error and the log; a cancel without a lease has no
lease error; its public status and ETA; how each way a run ends becomes its state; a result dropped for room."""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace

import requests

from dreamlayer.engine import Progress
from dreamlayer.errors import Cancelled, InvalidParameter
from dreamlayer.server.job import (
    CANCELLED,
    DONE,
    EXPIRED,
    FAILED,
    QUEUED,
    RUNNING,
    Job,
    JobSettings,
    Result,
    eta,
    run_to_the_end,
    status,
)

from ..live_server import TINY
from .test_jobs import submit, wait_for
from .test_streams import wait_ended


def test_an_abandoned_job_with_a_lease_is_cancelled(held):
    live, runner = held
    job = submit(live.url, {**TINY, "lease": "1"})
    assert runner.started.wait(10)
    # Nobody asks about it (asking would renew the lease): its client is gone. The held job runs until its lease,
    # asked at every step, cancels it; wait_ended watches the queue, not the job's status.
    final = wait_ended(live, job["id"], timeout=10)
    assert final["state"] == "cancelled" and final["error"]["code"] == "lease_expired"
    assert final["finished"] - final["created"] >= 1  # not before its second was up


def test_a_lease_that_ran_out_says_so_in_the_error_and_the_log(held, caplog):
    caplog.set_level(logging.INFO, logger="dreamlayer.server")
    live, runner = held
    job = submit(live.url, {**TINY, "lease": "1"})
    assert runner.started.wait(10)
    final = wait_ended(live, job["id"], timeout=10)  # nobody asks about it (asking would renew the lease)
    assert final["state"] == "cancelled"
    assert final["error"]["code"] == "lease_expired" and "1 seconds (its lease)" in final["error"]["message"]
    assert f"job {job['id']} cancelled: its 1-second lease ran out" in caplog.text


def test_a_cancelled_job_without_a_lease_has_no_lease_error(held):
    live, _ = held
    job = submit(live.url, TINY)
    wait_for(live.url, job["id"], ("running",))
    requests.post(f"{live.url}/v1/jobs/{job['id']}/cancel", timeout=5)
    final = wait_for(live.url, job["id"], ("cancelled", "done", "failed"))
    assert final["state"] == "cancelled" and final["error"] is None


def test_a_queued_jobs_status_says_what_it_runs_and_has_no_eta_yet():
    settings = JobSettings("classic", {"steps": 10}, {"zoom": 1.05}, frames=12)
    job = Job("abc", "zoom", None, settings)
    body = status(job, queue_position=3)
    assert (body["id"], body["kind"], body["state"], body["queue_position"]) == ("abc", "zoom", QUEUED, 3)
    assert body["frames"] == {"done": 0, "total": 12} and body["film"] == {"zoom": 1.05}
    assert body["preset"] == "classic" and body["settings"] == {"steps": 10}
    assert body["eta_seconds"] is None and body["error"] is None and body["has_preview"] is False


def test_the_eta_is_the_time_so_far_scaled_by_what_is_left():
    job = Job("abc", "dream", None, state=RUNNING, started=time.time() - 10, progress=Progress(5, 20, 1, 2))
    # A quarter done in 10 s: 30 s left (the two clock readings, microseconds apart, move it by far less than 0.1).
    assert abs(eta(job) - 30) < 0.1
    film = Job("def", "zoom", None, JobSettings("", {}, {}, frames=4), state=RUNNING, started=time.time() - 10,
               progress=Progress(10, 10, 1, 1))
    film.store = SimpleNamespace(count=1)  # one frame made, the second one's dream finished: half the film
    assert abs(eta(film) - 10) < 0.1


def test_running_to_the_end_turns_each_outcome_into_a_state_and_error():
    job = Job("abc", "dream", None)
    result = Result(b"png", "image/png")
    assert run_to_the_end(job, lambda: result) == (DONE, result, None)

    def raises(exc):
        def run():
            raise exc
        return run

    assert run_to_the_end(job, raises(Cancelled("stop"))) == (CANCELLED, None, None)
    state, _, error = run_to_the_end(job, raises(InvalidParameter("bad steps")))
    assert state == FAILED and error == {"code": "invalid_parameter", "message": "bad steps"}
    state, _, error = run_to_the_end(job, raises(ZeroDivisionError("oops")))
    assert state == FAILED and error["code"] == "internal_error" and "oops" in error["message"]


def test_a_dropped_result_leaves_an_expired_record_and_a_film_keeps_its_file(tmp_path):
    done = Job("abc", "dream", None, state=DONE, result=Result(b"png", "image/png"), preview=b"preview")
    done.drop_pictures()
    assert done.state == EXPIRED and done.result is None and done.preview is None
    assert done.error["code"] == "expired" and "--result-memory" in done.error["message"]
    film = Job("def", "zoom", None, state=DONE, result=Result(b"", "image/gif", path=tmp_path / "film.gif"), preview=b"p")
    film.drop_pictures()
    assert film.state == DONE and film.result is not None and film.preview is None  # the film is on disk
