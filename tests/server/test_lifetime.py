"""When a managed server ends by itself: the program that started it has gone, or nobody has used it for a while.
(The same through a real `dreamlayer serve` and its editors' launcher: tests/test_managed_server.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from dreamlayer.server.jobs import JobQueue
from dreamlayer.server.lifetime import Activity, process_alive, watch_idle, watch_parent

from ..held_runner import HeldRunner


class Stops:
    """What a watcher asks for: the stop's reason, and when it came."""

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.asked = threading.Event()

    def __call__(self, reason: str) -> None:
        self.reasons.append(reason)
        self.asked.set()


def test_activity_counts_from_the_last_touch():
    activity = Activity()
    time.sleep(0.05)
    assert activity.idle_for() >= 0.05
    activity.touch()
    assert activity.idle_for() < 0.05  # a touch starts the count again (it takes microseconds)


def test_a_process_is_alive_until_it_has_ended():
    assert process_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid)


def test_the_server_stops_once_the_program_that_started_it_has_ended():
    editor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    stops = Stops()
    try:
        watch_parent(editor.pid, stops)
        assert not stops.asked.wait(0.3)  # a running parent: no stop
    finally:
        editor.kill()
        editor.wait()
    assert stops.asked.wait(5)  # checked every second
    assert stops.reasons == [f"the program that started it (process {editor.pid}) has ended"]


def test_an_idle_server_stops_but_never_while_a_dream_runs():
    runner = HeldRunner()
    queue = JobQueue(runner)
    queue.start()
    stops = Stops()
    try:
        queue.submit(None)
        assert runner.started.wait(10)
        watch_idle(0.2, Activity(), queue, stops)
        # The job runs for as long as this test holds it: four times the idle time, without a stop.
        assert not stops.asked.wait(0.8)
        runner.release()
        assert stops.asked.wait(5)  # idle once the job has ended: checked every 0.05 s here
        assert stops.reasons == ["nobody has used it for 0.2 s"]
    finally:
        runner.release()
        queue.shutdown(5)
