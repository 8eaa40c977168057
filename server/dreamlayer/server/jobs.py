"""The job queue: a bounded line of dreams in front of the one worker thread that owns the GPU.

Jobs' records live in memory only; a film's frames and film live in its job folder on disk (films.py). Finished
jobs are kept for a time-to-live within a memory budget (see retention.py), then forgotten with their folders, so
memory stays bounded over thousands of jobs. Cancelling a queued job means it never starts; a
running job sees its cancel flag at the next gradient step. Deleting a job cancels it and forgets it at once: its
status answers 404 from then on, and its pictures and job folder go as soon as it has stopped.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dreamlayer_editor.protocol import JobState

from ..engine import Progress
from ..errors import Cancelled, DreamlayerError
from .errors import ApiError, shutting_down
from .films import FrameStore
from .retention import Retention

log = logging.getLogger("dreamlayer.server")

# The states a job's status names: the client's list (JobState), so the two sides read one.
STATES = tuple(state.value for state in JobState)
QUEUED, RUNNING, DONE, FAILED = JobState.QUEUED.value, JobState.RUNNING.value, JobState.DONE.value, JobState.FAILED.value
CANCELLED, EXPIRED = JobState.CANCELLED.value, JobState.EXPIRED.value
# expired: the job was done, but its result was dropped to stay within the memory budget (see retention.py).
FINAL_STATES = (DONE, FAILED, CANCELLED, EXPIRED)
EXPIRED_MESSAGE = ("The server ran out of room for results and dropped this one to make room for newer ones. "
                   "Dream it again; whoever runs the server can give it more room with `dreamlayer serve --result-memory`.")


@dataclass
class Result:
    body: bytes  # in memory; empty for a film, whose file is ``path``
    mimetype: str
    headers: dict[str, str] = field(default_factory=dict)
    path: Path | None = None  # a film: in its job folder, served from there


@dataclass(frozen=True)
class JobSettings:
    """What a job runs, as its status reports it: so a result can be made again, by anyone, from its status."""

    preset: str
    dream: dict[str, Any]  # the dream settings, seed and feature scale resolved
    film: dict[str, Any] | None = None  # a zoom's film settings
    frames: int = 0  # how many frames a zoom makes


@dataclass
class Job:
    id: str
    kind: str
    request: Any  # what the runner needs; dropped once the job ends, to free the picture
    settings: JobSettings | None = None
    created: float = field(default_factory=time.time)
    state: str = QUEUED
    started: float | None = None
    finished: float | None = None
    progress: Progress | None = None
    error: dict[str, str] | None = None
    preview: bytes | None = None
    store: FrameStore | None = None  # a zoom's or video's job folder: its frames (as PNG) and its film
    result: Result | None = None
    version: int = 0  # bumped on every change, so event streams know when to send
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    # With a lease, a job nobody has asked about for that many seconds is cancelled: its client is gone (an
    # editor plug-in killed by its host's Cancel button, say), so the GPU is not spent on a picture nobody wants.
    lease: float = 0.0
    last_seen: float = field(default_factory=time.time)
    followers: int = 0  # open event streams: following a job counts as asking about it
    fetched: bool = False  # its result was downloaded at least once; such results make room first
    deleted: bool = False  # forgotten at its client's request: nothing of it is kept once it ends

    def should_stop(self) -> bool:
        """Asked by the engine at every step."""
        return self.cancel_requested.is_set() or self.abandoned()

    def abandoned(self) -> bool:
        """Its lease ran out: nobody has asked about it for that long."""
        return self.lease > 0 and not self.followers and time.time() - self.last_seen > self.lease


Runner = Callable[[Job, "JobQueue"], Result]


class JobQueue:
    def __init__(self, runner: Runner, max_queued: int = 8, result_ttl: float = 600.0, max_kept_bytes: int = 2**30):
        self._runner = runner
        self.max_queued = max_queued
        self._changed = threading.Condition()
        self._jobs: dict[str, Job] = {}
        self._pending: deque[Job] = deque()
        self._running: Job | None = None
        self._accepting = True
        self.retention = Retention(result_ttl, max_kept_bytes, self._drop_result)
        self._durations: deque[float] = deque(maxlen=20)
        self._worker = threading.Thread(target=self._work, name="dreamlayer-worker", daemon=True)

    # -- used by the routes ------------------------------------------------------------------------------------
    def start(self) -> None:
        self._worker.start()

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
            p = job.progress or Progress(0, 0, 0, 0)
            frames = job.settings.frames if job.settings else 0
            position = self._pending.index(job) + 1 if job.state == QUEUED else 0
            settings = job.settings
            return {
                "id": job.id, "kind": job.kind, "state": job.state,
                "progress": {"step": p.step, "total": p.total, "octave": p.octave, "octaves": p.octaves},
                "frames": {"done": _frames_done(job), "total": frames}, "eta_seconds": self._eta(job),
                "queue_position": position, "error": job.error, "created": job.created, "started": job.started,
                "finished": job.finished, "has_preview": job.preview is not None,
                "preset": settings.preset if settings else None, "settings": settings.dream if settings else None,
                "film": settings.film if settings else None,
            }

    @staticmethod
    def _eta(job: Job) -> float | None:
        """Seconds left, from the share done so far: of the dream, or of the frames and the current one's dream."""
        p = job.progress
        if job.state != RUNNING or not p or not p.total or not job.started:
            return None
        done = p.step / p.total
        if job.settings and job.settings.frames:
            done = (_frames_done(job) + done) / job.settings.frames
        if done <= 0:
            return None
        return round((time.time() - job.started) / done * (1 - done), 2)

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
            return self._running is not None or bool(self._pending)

    def stats(self) -> dict[str, Any]:
        with self._changed:
            return {"queued": len(self._pending), "running": self._running.id if self._running else None,
                    "kept": len(self._jobs), "kept_bytes": self.retention.kept_bytes}

    @property
    def accepting(self) -> bool:
        return self._accepting

    # -- stopping ------------------------------------------------------------------------------------------------
    def begin_shutdown(self) -> tuple[str | None, int]:
        """Refuse new jobs, cancel the waiting ones and ask the running one to stop.

        Returns the running job's id (None when idle) and how many waiting jobs were cancelled."""
        with self._changed:
            self._accepting = False
            cancelled = len(self._pending)
            while self._pending:
                self._end(self._pending.popleft(), CANCELLED)
            if self._running is not None:
                self._running.cancel_requested.set()
            self._changed.notify_all()
            return (self._running.id if self._running else None), cancelled

    def wait_stopped(self, timeout: float) -> bool:
        """Wait for the worker to finish (after begin_shutdown); True if it did within ``timeout`` seconds."""
        if self._worker.is_alive():
            self._worker.join(timeout)
        return not self._worker.is_alive()

    def shutdown(self, timeout: float = 8.0) -> bool:
        """Refuse new jobs, cancel the waiting ones and the running one, and wait for the worker to stop."""
        self.begin_shutdown()
        return self.wait_stopped(timeout)

    # -- used by the runner ------------------------------------------------------------------------------------
    def report_progress(self, job: Job, progress: Progress) -> None:
        with self._changed:
            job.progress = progress
            job.version += 1
            self._changed.notify_all()

    def report_frame(self, job: Job, png: bytes) -> None:
        """A film's frame is made: into its job folder (a disk write: outside the lock), and it is the preview."""
        if job.store is not None:
            job.store.add_frame(png)
        with self._changed:
            job.preview = png
            job.version += 1
            self._changed.notify_all()

    def report_preview(self, job: Job, png: bytes) -> None:
        with self._changed:
            job.preview = png
            job.version += 1
            self._changed.notify_all()

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
                job = self._running = self._pending.popleft()
                job.state, job.started = RUNNING, time.time()
                job.version += 1
                self._changed.notify_all()
            self._run(job)

    def _run(self, job: Job) -> None:
        try:
            result = self._runner(job, self)
        except Cancelled:
            outcome, result, error = CANCELLED, None, None
            if not job.cancel_requested.is_set() and job.abandoned():
                error = {"code": "lease_expired", "message": f"Cancelled: nobody asked about this job for {job.lease:g} "
                         "seconds (its lease), so its client was taken to be gone."}
                log.info("job %s cancelled: its %g-second lease ran out", job.id, job.lease)
        except DreamlayerError as exc:
            outcome, result, error = FAILED, None, {"code": exc.code, "message": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the worker must survive anything a job does
            log.exception("job %s failed", job.id)
            outcome, result, error = FAILED, None, {"code": "internal_error", "message": f"The dream failed unexpectedly: {exc}"}
        else:
            outcome, error = DONE, None
        with self._changed:
            job.result, job.error = result, error
            self._durations.append(time.time() - (job.started or time.time()))
            self._end(job, outcome)
            self._running = None

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

    def _drop_result(self, job: Job) -> None:
        """Called by the retention when the memory budget needs what this job holds in memory; the record stays.
        A film keeps its frames and film, on disk: only its preview goes."""
        job.preview = None
        if job.result is not None and job.result.path is None:
            job.result = None
            if job.state == DONE:
                job.state, job.error = EXPIRED, {"code": "expired", "message": EXPIRED_MESSAGE}
        job.version += 1
        log.info("job %s: result dropped to stay within the memory budget for results", job.id)

    def _purge(self) -> None:
        for job_id in self.retention.forget_old(time.time()):
            _discard(self._jobs.pop(job_id).store)

    def _retry_after(self) -> int:
        average = sum(self._durations) / len(self._durations) if self._durations else 5.0
        return max(1, math.ceil(average))


def _frames_done(job: Job) -> int:
    return job.store.count if job.store is not None else 0


def _discard(store: FrameStore | None) -> None:
    if store is not None:
        store.remove()
