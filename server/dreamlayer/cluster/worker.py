"""The Ray worker: one device, its models loaded once and kept for every job, one job at a time.

It runs a job with the single-machine server's own ``DreamRunner``, which takes a job and a queue to report to:
here the queue is a ``Reports`` that turns each report into an event the actor's streaming generator yields to the
front, in order. The run itself goes on a thread of its own, so events leave while the engine works; a cancel
arrives through the "control" concurrency group, which answers while ``run`` is busy.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ray
import torch

from ..engine import Progress
from ..engine.policy import EngineOptions
from ..errors import Cancelled, DreamlayerError
from ..server.dreaming import DreamRunner
from .shipping import (FILM_CHUNK, Failed, FilmChunk, Finished, FrameMade, Previewed, Started, Stepped, Stopped,
                       WorkerFolder)


@dataclass
class WorkerJob:
    """What ``DreamRunner`` reads of a job."""

    id: str
    kind: str
    request: Any
    stop: threading.Event = field(default_factory=threading.Event)

    def should_stop(self) -> bool:
        return self.stop.is_set()


class Reports:
    """The queue ``DreamRunner`` reports to, as events for the front."""

    def __init__(self) -> None:
        self.events: queue.Queue = queue.Queue()

    def report_progress(self, _job: WorkerJob, progress: Progress) -> None:
        self.events.put(Stepped(progress))

    def report_preview(self, _job: WorkerJob, png: bytes) -> None:
        self.events.put(Previewed(png))

    def report_frame(self, _job: WorkerJob, png: bytes) -> None:
        self.events.put(FrameMade(png))


@ray.remote(concurrency_groups={"control": 2})
class DreamWorker:
    def __init__(self, name: str, device: str, threads: int, warm_model: str | None, options: EngineOptions) -> None:
        if device == "cpu":
            torch.set_num_threads(threads)  # on a CPU, the thread count is part of the picture: see the README
        self.name = name
        self.runner = DreamRunner(torch.device(device), warm_model, options=options, warm_up=True)
        self.runner.wait_until_warm()
        self._jobs: dict[str, WorkerJob] = {}

    @ray.method(concurrency_group="control")
    def about(self) -> dict[str, Any]:
        """Who this worker is, for /v1/health."""
        return {"name": self.name, "pid": os.getpid(), "node": socket.gethostname(), "ip": ray.util.get_node_ip_address(),
                "device": str(self.runner.device), "threads": torch.get_num_threads(),
                "models_loaded": self.runner.loaded_models}

    @ray.method(concurrency_group="control")
    def cancel(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is not None:
            job.stop.set()

    def run(self, job_id: str, kind: str, request: Any) -> Iterator[object]:
        """The job's events, the last of them Finished, Stopped or Failed."""
        job = WorkerJob(job_id, kind, request)
        self._jobs[job_id] = job
        reports, outcome = Reports(), []
        done = object()

        def work() -> None:
            try:
                outcome.append(self.runner(job, reports))
            except Cancelled:
                outcome.append(Stopped())
            except DreamlayerError as exc:
                outcome.append(Failed(exc.code, str(exc)))
            except Exception as exc:  # noqa: BLE001 - the front reports it; the worker goes on
                outcome.append(Failed("internal_error", f"The dream failed unexpectedly on worker {self.name}: {exc}"))
            reports.events.put(done)

        yield Started(self.name)
        thread = threading.Thread(target=work, name=f"dreamlayer-job-{job_id}", daemon=True)
        thread.start()
        try:
            while (event := reports.events.get()) is not done:
                yield event
            thread.join()
            yield from _ending(outcome[0])
        finally:
            self._jobs.pop(job_id, None)
            store = getattr(request, "store", None)
            if isinstance(store, WorkerFolder):
                store.remove()


def _ending(outcome: object) -> Iterator[object]:
    if isinstance(outcome, (Stopped, Failed)):
        yield outcome
        return
    if outcome.path is None:
        yield Finished(outcome.body, outcome.mimetype, outcome.headers, film=False)
        return
    with open(outcome.path, "rb") as film:
        while chunk := film.read(FILM_CHUNK):
            yield FilmChunk(chunk)
    yield Finished(b"", outcome.mimetype, outcome.headers, film=True)
