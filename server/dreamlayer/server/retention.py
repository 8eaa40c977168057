"""How long finished jobs are kept: for a time-to-live, within a memory budget for their pictures.

A finished job stays fetchable for ``ttl`` seconds, however many jobs end after it: the count of later jobs is
no reason to forget one whose client may still be polling. What can force a result out early is memory: the
bytes of kept results and previews are held under ``max_bytes``. Only what is in memory counts: a film's frames
and film are in its job folder on disk (films.py), where the disk check before each film bounds them. When a new result would go over,
older ones are dropped, results already fetched first, then the oldest unfetched. The newest result is always
kept, so a budget smaller than one picture still lets each dream be fetched until the next one ends. A dropped
job keeps its small record (a tombstone) until its time is up, so its status can say ``expired`` instead of
"no such job". A job's pictures count from when it ends: while queued or running they are bounded by the upload
limits, and a running film's memory by its few cached frames.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .job import Job


def kept_size(job: Job) -> int:
    """The bytes a finished job holds in memory: its result (a film's is on disk), its preview, and any frames
    its job folder still caches (none, once it has ended)."""
    size = len(job.result.body) if job.result is not None else 0
    size += len(job.preview) if job.preview is not None else 0
    return size + (job.store.cached_bytes if job.store is not None else 0)


class Retention:
    """The finished jobs in the order they ended; callers hold the job queue's lock."""

    def __init__(self, ttl: float, max_bytes: int, drop: Callable[[Job], None]):
        self.ttl, self.max_bytes = ttl, max_bytes
        self._drop_bytes = drop  # frees a job's pictures and marks it expired (Job.drop_pictures)
        self._finished: deque[Job] = deque()
        self._sizes: dict[str, int] = {}
        self.kept_bytes = 0

    def add(self, job: Job) -> None:
        """A job has just ended: keep it, then make room if the budget is exceeded."""
        size = kept_size(job)
        self._finished.append(job)
        self._sizes[job.id] = size
        self.kept_bytes += size
        if self.kept_bytes > self.max_bytes:
            self._make_room()

    def forget(self, job: Job) -> None:
        """Take out one finished job now (its client deleted it)."""
        if job.id in self._sizes:
            self._finished.remove(job)
            self.kept_bytes -= self._sizes.pop(job.id)

    def forget_old(self, now: float) -> list[str]:
        """Take out the jobs whose time-to-live is over; returns their ids."""
        gone = []
        while self._finished and now - (self._finished[0].finished or now) > self.ttl:
            job = self._finished.popleft()
            self.kept_bytes -= self._sizes.pop(job.id)
            gone.append(job.id)
        return gone

    def _make_room(self) -> None:
        holders = [job for job in self._finished if self._sizes[job.id]]
        # sorted() is stable: fetched results go first, then unfetched ones, each oldest first; never the newest.
        for job in sorted(holders[:-1], key=lambda j: not j.fetched):
            if self.kept_bytes <= self.max_bytes:
                break
            self.kept_bytes -= self._sizes[job.id]
            self._sizes[job.id] = 0
            self._drop_bytes(job)
