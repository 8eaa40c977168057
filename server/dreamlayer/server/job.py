"""One job: the states it goes through, what it runs, what it made, and its public status.

The states are the client's (``dreamlayer_editor.protocol.JobState``), so the server and every client read one
list; ``status`` is what ``GET /v1/jobs/{id}`` answers, described in openapi.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dreamlayer_editor.protocol import JobState

from ..engine import Progress
from ..errors import Cancelled, DreamlayerError
from .films import FrameStore

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


FINISHING_SECONDS = 0.1  # the least time left a running job reports


class Pace:
    """Seconds per share of a job, timed from its own steps, scale by scale.

    A scale's steps all cost the same, and each scale's steps cost less per pixel than the smaller scale's before it
    (on two CPU cores, 0.63 µs a pixel at 80,000 pixels, 0.52 at 300,000: bench/RESULTS.md, "time left"), so the
    pace is timed anew from the first step of each larger scale, and the last scale's pace stands in until the new
    one has two steps. A film's next frame starts at its smallest scale again: the clock runs on through it, so
    what a film does between frames (writing the frame, the flow of a video) is in the pace. The first step of all
    is the model's warm-up as much as a step."""

    def __init__(self) -> None:
        self.start: tuple[float, float, int] | None = None  # (time, share done, scale) at this scale's first step
        self.seconds_per_share: float | None = None

    def step(self, now: float, done: float, scale: int) -> None:
        if self.start is None or scale > self.start[2] or done < self.start[1]:
            self.start = (now, done, scale)
        elif done > self.start[1]:
            self.seconds_per_share = (now - self.start[0]) / (done - self.start[1])

    def left(self, done: float) -> float | None:
        if self.seconds_per_share is None:
            return None
        # After the last step the result is still put together and encoded: never 0 while the job runs.
        return max(FINISHING_SECONDS, round(self.seconds_per_share * (1 - done), 2))


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
    pace: Pace = field(default_factory=Pace)  # how fast its steps go: what eta() reckons from
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
    worker: str | None = None  # the cluster's worker that runs it (none on a single-machine server)
    retries: int = 0  # times it ran again after losing its worker
    notice: str | None = None  # why it did
    between_steps: Callable[[], None] = field(default=lambda: None)  # the device turn's, while it runs (jobs.py)

    def should_stop(self) -> bool:
        """Asked by the engine at every step, where the job lends the device to a live dream waiting for it."""
        self.between_steps()
        return self.cancel_requested.is_set() or self.abandoned()

    def drop_pictures(self) -> None:
        """What the retention calls when the memory budget needs what this job holds in memory (under the queue's
        lock); the record stays. A film keeps its frames and film, on disk: only its preview goes."""
        self.preview = None
        if self.result is not None and self.result.path is None:
            self.result = None
            if self.state == DONE:
                self.state, self.error = EXPIRED, {"code": "expired", "message": EXPIRED_MESSAGE}
        self.version += 1
        log.info("job %s: result dropped to stay within the memory budget for results", self.id)

    def abandoned(self) -> bool:
        """Its lease ran out: nobody has asked about it for that long."""
        return self.lease > 0 and not self.followers and time.time() - self.last_seen > self.lease


def run_to_the_end(job: Job, run: Callable[[], Result]) -> tuple[str, Result | None, dict[str, str] | None]:
    """Run the job: (the state it ends in, its result, its error). Whatever the run raises, the worker goes on."""
    try:
        return DONE, run(), None
    except Cancelled:
        if not job.cancel_requested.is_set() and job.abandoned():
            log.info("job %s cancelled: its %g-second lease ran out", job.id, job.lease)
            return CANCELLED, None, {"code": "lease_expired", "message": f"Cancelled: nobody asked about this job for "
                                     f"{job.lease:g} seconds (its lease), so its client was taken to be gone."}
        return CANCELLED, None, None
    except DreamlayerError as exc:
        return FAILED, None, {"code": exc.code, "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - the worker must survive anything a job does
        log.exception("job %s failed", job.id)
        return FAILED, None, {"code": "internal_error", "message": f"The dream failed unexpectedly: {exc}"}


def status(job: Job, queue_position: int) -> dict[str, Any]:
    """The job's public status, as the API returns it (the queue calls it under its lock)."""
    p = job.progress or Progress(0, 0, 0, 0)
    settings = job.settings
    return {
        "id": job.id, "kind": job.kind, "state": job.state,
        "progress": {"step": p.step, "total": p.total, "octave": p.octave, "octaves": p.octaves, "work": round(p.work, 4)},
        "frames": {"done": frames_done(job), "total": settings.frames if settings else 0}, "eta_seconds": eta(job),
        "queue_position": queue_position, "error": job.error, "created": job.created, "started": job.started,
        "finished": job.finished, "has_preview": job.preview is not None,
        "preset": settings.preset if settings else None, "settings": settings.dream if settings else None,
        "film": settings.film if settings else None, "worker": job.worker, "retries": job.retries, "notice": job.notice,
    }


def share_done(job: Job) -> float:
    """How much of the job is done, 0..1: of its dream's work (steps weighted by their octave's pixels), or of its
    frames and the current frame's dream."""
    p = job.progress
    done = p.work if p else 0.0
    if job.settings and job.settings.frames:
        done = (frames_done(job) + done) / job.settings.frames
    return done


def eta(job: Job) -> float | None:
    """Seconds left: the work left (steps weighted by their scale's pixels) at the pace of this job's own latest
    steps; None until two steps of one scale are timed."""
    if job.state != RUNNING:
        return None
    return job.pace.left(share_done(job))


def frames_done(job: Job) -> int:
    return job.store.count if job.store is not None else 0
