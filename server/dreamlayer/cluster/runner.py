"""The front's side of a cluster job: a free worker, its events relayed to the job queue, a cancel passed on, and
a job whose worker was lost run again once, from the start, on another worker.

The job queue (server/jobs.py) runs one thread per worker, each calling a ``ClusterRunner`` as a single-machine
server calls its ``DreamRunner``: with a job, and the queue to report to. So progress, previews, frames, films,
results, cancel, leases and retention are the queue's, as they are without a cluster.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import ray
from ray.exceptions import ObjectLostError, RayActorError, WorkerCrashedError

from ..errors import Cancelled
from ..server.job import Job, Result
from ..server.jobs import JobQueue
from .pool import Worker, WorkerPool
from .shipping import (Failed, FilmChunk, Finished, FrameMade, Previewed, Started, Stepped, Stopped, WorkerJobError,
                       WorkerLost, for_worker)

log = logging.getLogger("dreamlayer.cluster")
LOST = (RayActorError, WorkerCrashedError, ObjectLostError)  # the worker's process, or its machine, is gone
CANCEL_LOOK_SECONDS = 0.1  # how often a running job's lease is looked at (a cancel is passed on at once)


class ClusterRunner:
    """Runs the queue's jobs on the cluster's workers; ``device`` is theirs ("cuda" or "cpu")."""

    def __init__(self, pool: WorkerPool, device: str, description: str):
        self.pool, self.device, self.description = pool, device, description

    @property
    def workers(self) -> int:
        return len(self.pool)

    def describe(self) -> list[dict[str, Any]]:
        """The workers, for /v1/health."""
        return self.pool.describe()

    def leave(self) -> None:
        """At shutdown, once the jobs have stopped: the workers go, and a Ray this server started stops with it."""
        self.pool.close()
        for worker in self.pool.workers:
            try:
                ray.kill(worker.handle)
            except Exception:  # noqa: BLE001 - a worker already gone is what this wants
                pass
        ray.shutdown()

    def __call__(self, job: Job, queue: JobQueue) -> Result:
        shipped = for_worker(job.request)
        lost: Worker | None = None
        while True:
            worker = self.pool.take(job.id, avoid=lost)
            try:
                result = self._run_on(worker, job, queue, shipped)
            except LOST as exc:
                self.pool.lost(worker)
                log.warning("job %s lost worker %s: %s", job.id, worker.name, type(exc).__name__)
                if lost is not None:
                    raise WorkerLost(f"This job's worker was lost twice (workers {lost.name} and {worker.name} "
                                     "stopped or left the cluster), so it was given up. Dream it again; if it "
                                     "happens again, whoever runs the server should look at the Ray workers' logs.") from None
                lost = worker
                queue.report_restart(job, f"Worker {worker.name} was lost while running this job, so it is running "
                                          "again, from the start, on another worker.")
                continue
            except BaseException:
                self.pool.give_back(worker)  # cancelled or failed: the worker is free for the next job
                raise
            self.pool.give_back(worker)
            return result

    def _run_on(self, worker: Worker, job: Job, queue: JobQueue, shipped: Any) -> Result:
        events = worker.handle.run.remote(job.id, job.kind, shipped)
        finished = threading.Event()
        threading.Thread(target=_pass_on_cancel, args=(job, worker, finished), daemon=True,
                         name=f"dreamlayer-cancel-{job.id}").start()
        try:
            return self._relay(job, queue, events)
        finally:
            finished.set()

    @staticmethod
    def _relay(job: Job, queue: JobQueue, events: Any) -> Result:
        film = job.request.store.film_path(job.request.settings.format) if job.request.store is not None else None
        out = open(film, "wb") if film is not None else None  # noqa: SIM115 - closed below, whatever happens
        try:
            for ref in events:
                event = ray.get(ref)
                if isinstance(event, Stepped):
                    queue.report_progress(job, event.progress)
                elif isinstance(event, Previewed):
                    queue.report_preview(job, event.png)
                elif isinstance(event, FrameMade):
                    queue.report_frame(job, event.png)
                elif isinstance(event, FilmChunk):
                    out.write(event.data)
                elif isinstance(event, Started):
                    queue.report_worker(job, event.worker)
                elif isinstance(event, Stopped):
                    raise Cancelled("Cancelled.")
                elif isinstance(event, Failed):
                    raise WorkerJobError(event.code, event.message)
                elif isinstance(event, Finished):
                    return Result(event.body, event.mimetype, event.headers, path=film if event.film else None)
        finally:
            if out is not None:
                out.close()
        raise WorkerJobError("internal_error", "The worker ended the job without a result.")


def _pass_on_cancel(job: Job, worker: Worker, finished: threading.Event) -> None:
    """Tell the worker when the job is cancelled (at once) or its lease runs out: it stops at its next step."""
    while not finished.is_set():
        if job.cancel_requested.wait(CANCEL_LOOK_SECONDS) or job.abandoned():
            try:
                worker.handle.cancel.remote(job.id)
            except LOST:
                pass
            return
