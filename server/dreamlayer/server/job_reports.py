"""What a running job tells its queue: its progress, previews and frames, and, on a cluster, the worker that took
it and a restart after losing one. Each report changes the job under the queue's lock and wakes whoever follows it
(event streams, status requests waiting for a change)."""

from __future__ import annotations

import threading
import time

from ..engine import Progress
from .job import Job, Pace, share_done


class JobReports:
    """The queue's side of a runner's reports (``JobQueue`` is one): ``_changed`` is the queue's lock."""

    _changed: threading.Condition

    def report_progress(self, job: Job, progress: Progress) -> None:
        with self._changed:
            job.progress = progress
            job.pace.step(time.time(), share_done(job), progress.octave)
            job.version += 1
            self._changed.notify_all()

    def report_frame(self, job: Job, png: bytes) -> None:
        """A film's frame is made: into its job folder (a disk write: outside the lock), and it is the preview."""
        if job.store is not None:
            job.store.add_frame(png)
        with self._changed:
            job.preview, job.version = png, job.version + 1
            self._changed.notify_all()

    def report_preview(self, job: Job, png: bytes) -> None:
        with self._changed:
            job.preview, job.version = png, job.version + 1
            self._changed.notify_all()

    def report_worker(self, job: Job, worker: str) -> None:
        """A cluster's worker took the job."""
        with self._changed:
            job.worker, job.version = worker, job.version + 1
            self._changed.notify_all()

    def report_restart(self, job: Job, notice: str) -> None:
        """A cluster's job lost its worker and runs again from the start: what it made so far is forgotten."""
        if job.store is not None:
            job.store.forget_frames()
        with self._changed:
            job.retries, job.notice = job.retries + 1, notice
            job.progress, job.pace, job.preview, job.worker = None, Pace(), None, None
            job.version += 1
            self._changed.notify_all()
