"""Server-Sent Event streams of a job's status, and the cap on how many may be open at once.

waitress runs a streamed response in one of its request threads for as long as the stream lasts. So the server
gets as many threads as the stream cap plus a reserve (serve.py), and a stream beyond the cap is refused at once
with 503 ``too_many_streams``: health, status and cancel always find a free thread. At shutdown every stream is
woken and ended, so no thread is left waiting on a job.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

from .errors import ApiError, shutting_down
from .job import FINAL_STATES, Job
from .jobs import JobQueue

# An event stream sends a comment at least this often, so clients, proxies and the server itself (whose only way
# to notice a departed client is a failed write) know it is alive. Well under waitress's channel_timeout (30 s).
KEEPALIVE_SECONDS = 10.0
# Told to clients in the stream (SSE ``retry:``): how long to wait before reconnecting after a dropped stream.
RETRY_MILLISECONDS = 2000


class StreamGate:
    """Counts open event streams; refuses those beyond the cap, and all of them once the server is stopping."""

    def __init__(self, limit: int):
        self.limit = limit
        self.closing = False
        self._open = 0
        self._changed = threading.Condition()

    @property
    def open(self) -> int:
        return self._open

    def admit(self) -> None:
        """Count a new stream in, or refuse it with a clear 503."""
        with self._changed:
            if self.closing:
                raise shutting_down()
            if self._open >= self.limit:
                raise ApiError(503, "too_many_streams",
                               f"{self._open} event streams are already open, the most this server follows at once. "
                               "Poll the job's status instead, or try again shortly.", {"Retry-After": "5"})
            self._open += 1

    def release(self) -> None:
        with self._changed:
            self._open -= 1
            self._changed.notify_all()

    def close_all(self, queue: JobQueue, timeout: float) -> int:
        """Stop admitting, end the open streams, and wait up to ``timeout`` s for them; returns how many were open."""
        with self._changed:
            self.closing, count = True, self._open
        queue.wake_all()  # each stream wakes, sees ``closing`` and ends
        with self._changed:
            self._changed.wait_for(lambda: self._open == 0, timeout)
        return count


def follow(job: Job, queue: JobQueue, gate: StreamGate, describe: Callable[[Job], dict]) -> Iterator[str]:
    """The SSE text of a job's status, one event per change, until the job ends or the server stops."""
    queue.follow(job)
    try:
        # The first chunk flushes the headers at once and tells the client when to reconnect if the stream drops.
        yield f"retry: {RETRY_MILLISECONDS}\n: dreamlayer\n\n"
        seen = -1
        while True:
            if job.version != seen:
                seen = job.version
                status = describe(job)
                yield f"event: status\ndata: {json.dumps(status)}\n\n"
                if status["state"] in FINAL_STATES:
                    return
            elif gate.closing:
                yield ": the dream server is stopping\n\n"
                return
            else:
                yield ": keepalive\n\n"
            queue.wait_for_change(job, seen, _wake_interval(job), stop=lambda: gate.closing)
    finally:
        queue.unfollow(job)


def _wake_interval(job: Job) -> float:
    # With a lease, write more often than the lease: a failed write is how a departed follower is noticed, and only
    # then does the lease start running again.
    return min(KEEPALIVE_SECONDS, max(job.lease / 2, 0.25)) if job.lease else KEEPALIVE_SECONDS
