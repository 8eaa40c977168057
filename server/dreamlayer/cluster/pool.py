"""The cluster's workers: which are free, which runs what, and a lost one's way back.

A worker is lost when its process dies or its machine leaves the cluster. Ray starts its actor again (on its
machine, or on another with room), reloading the model; until it answers, it is "recovering" and gets no job.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayError

from ..errors import Cancelled

log = logging.getLogger("dreamlayer.cluster")
READY, BUSY, RECOVERING = "ready", "busy", "recovering"
ANSWER_SECONDS = 10.0  # how long one look at a recovering worker waits for its answer


@dataclass
class Worker:
    handle: Any  # the Ray actor
    name: str
    about: dict[str, Any] = field(default_factory=dict)  # DreamWorker.about(), refreshed after each recovery
    state: str = READY
    job: str | None = None
    jobs_run: int = 0

    def describe(self) -> dict[str, Any]:
        return {**self.about, "name": self.name, "state": self.state, "job": self.job, "jobs_run": self.jobs_run}


class WorkerPool:
    def __init__(self, workers: list[Worker]):
        self._workers = workers
        self._changed = threading.Condition()
        self._closed = False

    def __len__(self) -> int:
        return len(self._workers)

    @property
    def workers(self) -> list[Worker]:
        return list(self._workers)

    def take(self, job_id: str, avoid: Worker | None = None) -> Worker:
        """A free worker for the job, waiting for one; not ``avoid`` (the one a job lost) while there is another."""
        with self._changed:
            while True:
                if self._closed:
                    raise Cancelled("The dream server is stopping.")
                others = [w for w in self._workers if w is not avoid]
                choices = others or self._workers
                free = [w for w in choices if w.state == READY]
                if free:
                    worker = min(free, key=lambda w: w.jobs_run)  # spread the work: the least used goes first
                    worker.state, worker.job = BUSY, job_id
                    worker.jobs_run += 1
                    return worker
                self._changed.wait(1.0)

    def give_back(self, worker: Worker) -> None:
        with self._changed:
            worker.state, worker.job = READY, None
            self._changed.notify_all()

    def lost(self, worker: Worker) -> None:
        """The worker died under a job: look until Ray has it back, then give it jobs again."""
        with self._changed:
            worker.state, worker.job = RECOVERING, None
        threading.Thread(target=self._recover, args=(worker,), name=f"dreamlayer-recover-{worker.name}",
                         daemon=True).start()

    def _recover(self, worker: Worker) -> None:
        while not self._closed:
            try:
                about = ray.get(worker.handle.about.remote(), timeout=ANSWER_SECONDS)
            except (GetTimeoutError, RayError):
                time.sleep(1.0)
                continue
            log.info("worker %s is back (process %s on %s)", worker.name, about.get("pid"), about.get("node"))
            with self._changed:
                worker.about, worker.state = about, READY
                self._changed.notify_all()
            return

    def describe(self) -> list[dict[str, Any]]:
        with self._changed:
            return [worker.describe() for worker in self._workers]

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
