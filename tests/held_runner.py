"""MOCK of the server's DreamRunner, for tests that need a job to stay running until they say so.

Catching a real dream while it runs meant a long dream and a sleep, hoping the machine was neither too fast nor too
slow. This runner holds each job until the test releases it, or until the job's own cancel flag (a cancel, a
delete, a lease that ran out, a shutdown) stops it: it reports a step every few milliseconds and asks
``job.should_stop()`` at each, as the engine does. The queue, the routes, the leases and the cancel path are the
real ones; no network runs, so these tests say nothing of the pictures (the dream tests do).
"""

from __future__ import annotations

import threading

from dreamlayer.engine import Progress
from dreamlayer.errors import Cancelled
from dreamlayer.server.job import Job, Result

STEP_SECONDS = 0.005
PNG_1X1 = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360f8cf000001010100a5f6d8b20000000049454e44ae426082")


class HeldRunner:
    device = "cpu"
    loaded_models = ["lite0"]

    def __init__(self, step_seconds: float = STEP_SECONDS) -> None:
        self.started = threading.Event()  # set when a job starts running
        self.step_seconds = step_seconds  # between progress reports: a real dream's step takes tens of ms
        self._released = threading.Event()

    def release(self) -> None:
        """Let the running job (and every later one) finish."""
        self._released.set()

    def __call__(self, job: Job, queue) -> Result:
        self.started.set()
        step = 0
        while not self._released.wait(self.step_seconds):
            if job.should_stop():
                raise Cancelled("The dream was cancelled.")
            step += 1
            queue.report_progress(job, Progress(step, 10**6, 1, 1))
        return Result(PNG_1X1, "image/png")
