"""One job: a lease that runs out cancels it and says so, in its error and the log; a cancel without a lease has no
lease error."""

from __future__ import annotations

import logging

import requests

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
