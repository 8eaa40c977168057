"""The job queue: a bounded line of dreams in front of the worker threads that run them.

A single-machine server has one worker thread, which owns the device. A cluster's (``dreamlayer serve --cluster``,
see dreamlayer.cluster) has one per Ray worker, so as many jobs run at once as there are workers; the jobs still
queue, run, report and end here, in the front's memory, whichever worker dreams them.

Jobs' records live in memory only; a film's frames and film live in its job folder on disk (films.py). Finished
jobs are kept for a time-to-live within a memory budget (see retention.py), then forgotten with their folders, so
memory stays bounded over thousands of jobs. Cancelling a queued job means it never starts; a running job sees its
cancel flag at the next gradient step. Deleting a job cancels it and forgets it at once: its status answers 404
from then on, and its pictures and job folder go as soon as it has stopped.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .device_turn import DeviceTurn
from .errors import ApiError, shutting_down
from .films import FrameStore
from .job import CANCELLED, FAILED, QUEUED, RUNNING, Job, JobSettings, Result, run_to_the_end, status
from .job_reports import JobReports
from .retention import Retention

log = logging.getLogger("dreamlayer.server")

Runner = Callable[[Job, "JobQueue"], Result]


class JobQueue(JobReports):
    def __init__(self, runner: Runner, max_queued: int = 8, result_ttl: float = 600.0, max_kept_bytes: int = 2**30,
                 workers: int = 1, local_device: bool = True):
        """``workers`` jobs run at once; ``local_device``: on this process's device, holding its turn (not a cluster's)."""
        self._runner = runner
        self._local_device = local_device
        self.max_queued = max_queued
        self._changed = threading.Condition()
        self._jobs: dict[str, Job] = {}
        self._pending: deque[Job] = deque()
        self._running: list[Job] = []
        self.turn = DeviceTurn()  # a job holds it while it runs, lending it to live dreams between its steps
        self._accepting = True
        self.retention = Retention(result_ttl, max_kept_bytes, Job.drop_pictures)
        self._durations: deque[float] = deque(maxlen=20)
        self._workers = [threading.Thread(target=self._work, name=f"dreamlayer-worker-{n}", daemon=True)
                         for n in range(max(1, workers))]

    # -- used by the routes ------------------------------------------------------------------------------------
    def start(self) -> None:
        for worker in self._workers:
            worker.start()

    def submit(self, request: Any, kind: str = "dream", lease: float = 0.0, settings: JobSettings | None = None,
               store: FrameStore | None = None) -> Job:
        """Queue a job; a film's ``store`` (made as its request was read) is the job's from here, or removed if the
        job is refused."""
        with self._changed:
            if not self._accepting:
                _discard(store)
                raise shutting_down()
            self._purge()
            if len(self._pending) >= self.max_queued:
                _discard(store)
                raise ApiError(
                    503, "queue_full", f"The dream server already has {len(self._pending)} dreams waiting. Try again shortly.",
                    {"Retry-After": str(self._retry_after())},
                )
            job = Job(secrets.token_hex(16), kind, request, settings, lease=lease, store=store)
            self._jobs[job.id] = job
            self._pending.append(job)
            self._changed.notify_all()
            return job

    def get(self, job_id: str) -> Job:
        with self._changed:
            self._purge()
            job = self._jobs.get(job_id)
            if job is not None:
                job.last_seen = time.time()
        if job is None:
            raise ApiError(404, "unknown_job", "No such job: it never existed, or it ended long enough ago to be forgotten "
                                               f"(results are kept for {self.retention.ttl / 60:g} minutes).")
        return job

    def follow(self, job: Job) -> None:
        """An event stream opened on the job: while one is open, its lease cannot run out."""
        with self._changed:
            job.followers += 1

    def unfollow(self, job: Job) -> None:
        with self._changed:
            job.followers -= 1
            job.last_seen = time.time()  # the lease counts from when the last follower left

    def mark_fetched(self, job: Job) -> None:
        with self._changed:
            job.fetched = True

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        with self._changed:
            if job.state == QUEUED:
                self._pending.remove(job)
                self._end(job, CANCELLED)
            elif job.state == RUNNING:
                job.cancel_requested.set()
            return job

    def delete(self, job_id: str) -> None:
        """Cancel the job if it has not ended, and forget it now; a running one lets go of its pictures and job
        folder once it has stopped (``_end``)."""
        job = self.get(job_id)
        with self._changed:
            job.deleted = True
            self._jobs.pop(job.id, None)
            if job.state == QUEUED:
                self._pending.remove(job)
                self._end(job, CANCELLED)
            elif job.state == RUNNING:
                job.cancel_requested.set()
            else:
                self.retention.forget(job)
                _discard(job.store)

    def describe(self, job: Job) -> dict[str, Any]:
        """The job's public status, as the API returns it."""
        with self._changed:
            return status(job, self._pending.index(job) + 1 if job.state == QUEUED else 0)

    def wait_for_change(self, job: Job, seen_version: int, timeout: float, stop: Callable[[], bool] | None = None) -> None:
        """Wait until the job changes, ``stop()`` turns true (checked when woken: see wake_all), or ``timeout`` s."""
        with self._changed:
            self._changed.wait_for(lambda: job.version != seen_version or (stop is not None and stop()), timeout)

    def wake_all(self) -> None:
        """Wake every event stream waiting for a change, so each can look at the server's state (it may be stopping)."""
        with self._changed:
            self._changed.notify_all()

    def busy(self) -> bool:
        """Whether a dream runs or waits."""
        with self._changed:
            return bool(self._running) or bool(self._pending)

    def device_busy(self) -> bool:
        """Whether a job runs or waits for this machine's device: never on a cluster, whose jobs run on Ray workers."""
        return self._local_device and self.busy()

    def stats(self) -> dict[str, Any]:
        with self._changed:
            # "running": the first running job's id (a single-machine server runs one); "running_jobs": all of them.
            return {"queued": len(self._pending), "running": self._running[0].id if self._running else None,
                    "kept": len(self._jobs), "kept_bytes": self.retention.kept_bytes,
                    "running_jobs": [job.id for job in self._running], "workers": len(self._workers)}

    @property
    def accepting(self) -> bool:
        return self._accepting

    # -- stopping ------------------------------------------------------------------------------------------------
    def begin_shutdown(self) -> tuple[str | None, int]:
        """Refuse new jobs, cancel the waiting ones and ask the running ones to stop.

        Returns the first running job's id (None when idle) and how many waiting jobs were cancelled."""
        with self._changed:
            self._accepting = False
            cancelled = len(self._pending)
            while self._pending:
                self._end(self._pending.popleft(), CANCELLED)
            for job in self._running:
                job.cancel_requested.set()
            self._changed.notify_all()
            return (self._running[0].id if self._running else None), cancelled

    def wait_stopped(self, timeout: float) -> bool:
        """Wait for the workers to finish (after begin_shutdown); True if they did within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            if worker.is_alive():
                worker.join(max(0.0, deadline - time.monotonic()))
        return not any(worker.is_alive() for worker in self._workers)

    def shutdown(self, timeout: float = 8.0) -> bool:
        """Refuse new jobs, cancel the waiting ones and the running ones, and wait for the workers to stop."""
        self.begin_shutdown()
        return self.wait_stopped(timeout)

    # -- the worker ----------------------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._pending or not self._accepting, timeout=30.0)
                self._purge()
                if not self._accepting:
                    return
                if not self._pending:
                    continue
                job = self._pending.popleft()
                self._running.append(job)
                job.state, job.started = RUNNING, time.time()
                job.version += 1
                self._changed.notify_all()
            self._run(job)

    def _run(self, job: Job) -> None:
        if self._local_device:
            job.between_steps = self.turn.between_steps
            with self.turn.taken():
                outcome, result, error = run_to_the_end(job, lambda: self._runner(job, self))
        else:
            outcome, result, error = run_to_the_end(job, lambda: self._runner(job, self))
        with self._changed:
            job.result, job.error = result, error
            self._durations.append(time.time() - (job.started or time.time()))
            self._end(job, outcome)
            self._running.remove(job)

    def _end(self, job: Job, state: str) -> None:
        job.state, job.finished, job.request = state, time.time(), None
        if job.store is not None:
            job.store.finish()
            if state in (CANCELLED, FAILED):
                job.store.remove()  # nobody fetches a cancelled or failed film's frames
        job.version += 1
        if job.deleted:
            job.result, job.preview = None, None
            _discard(job.store)
        else:
            self.retention.add(job)
        self._changed.notify_all()

    def _purge(self) -> None:
        for job_id in self.retention.forget_old(time.time()):
            _discard(self._jobs.pop(job_id).store)

    def _retry_after(self) -> int:
        average = sum(self._durations) / len(self._durations) if self._durations else 5.0
        return max(1, math.ceil(average))


def _discard(store: FrameStore | None) -> None:
    if store is not None:
        store.remove()
