"""`dreamlayer serve` stopped by SIGTERM or Ctrl+C (SIGINT): it says so to clients and in its log, cancels the
running dream, ends event streams, removes its films' folders and exits 0 within 10 s, every time. The same
ordered stop in this process, with runners that hold a job for as long as the test says, covers the running
dream that stops when asked and the one whose step outlasts the wait."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import requests

from dreamlayer_editor.client import DreamClient
from dreamlayer_editor.protocol import ClientError
from dreamlayer.errors import Cancelled
from dreamlayer.server import shutdown
from dreamlayer.server.services import EXTENSION_KEY
from dreamlayer.server.shutdown import WORKER_WAIT, finish, stop_in_order

from ..held_runner import HeldRunner
from ..live_server import TINY, LiveServer, png_bytes, start_server
from .test_films import QUICK

LONG = {**TINY, "steps": "200"}  # about ten seconds on two cores
EXIT_WITHIN = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServeProcess:
    proc: subprocess.Popen
    url: str
    log: Any  # a temporary file

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.log.close()


def start_serve() -> ServeProcess:
    port = _free_port()
    log = tempfile.TemporaryFile()  # a file, not a pipe: a full pipe would stall the server's log
    proc = subprocess.Popen([sys.executable, "-m", "dreamlayer", "serve", "--port", str(port)], stderr=log,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    served = ServeProcess(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, served.stderr()
        try:
            requests.get(f"{served.url}/v1/health", timeout=2)
            return served
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("the server did not start")


@dataclass
class Observer:
    """Keeps asking the server something until it is gone, and records how each request was answered."""

    ask: Callable[[requests.Session], requests.Response]
    answers: list = field(default_factory=list)  # (monotonic time, status code, error code or body)
    silences: list = field(default_factory=list)  # read timeouts: the server accepted but never answered
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        session = requests.Session()  # keep-alive, as a plug-in's connection would be
        while not self.stop.is_set():
            try:
                r = self.ask(session)
            except requests.Timeout as exc:
                self.silences.append(repr(exc))
                return
            except requests.ConnectionError:
                return  # refused or reset: the server has stopped listening, which is how it should end
            self.answers.append((time.monotonic(), r.status_code, r.json()))
            time.sleep(0.005)


def _watch(ask) -> tuple[Observer, threading.Thread]:
    observer = Observer(ask)
    thread = threading.Thread(target=observer.run, daemon=True)
    thread.start()
    return observer, thread


def _wait_running(served: ServeProcess, job_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while requests.get(f"{served.url}/v1/jobs/{job_id}", timeout=5).json()["state"] != "running":
        assert time.monotonic() < deadline, "the dream never started"
        time.sleep(0.02)


def _submit_nothing(url: str):
    # A multipart body without a picture: refused with 422 while serving (no job is made), 503 once stopping.
    return lambda session: session.post(f"{url}/v1/dreams", files={"steps": (None, "2")}, timeout=2)


def _stop(served: ServeProcess, sig: signal.Signals) -> tuple[float, int]:
    start = time.monotonic()
    served.proc.send_signal(sig)
    try:
        code = served.proc.wait(timeout=EXIT_WITHIN + 5)
    except subprocess.TimeoutExpired:
        served.proc.kill()
        raise AssertionError(f"the server did not exit:\n{served.stderr()}") from None
    return time.monotonic() - start, code


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_mid_dream_says_so_cancels_and_exits_quickly(sig):
    served = start_serve()
    try:
        r = requests.post(f"{served.url}/v1/dreams", files={"image": ("in.png", png_bytes(256, 256), "image/png")}, data=LONG, timeout=10)
        job_id = r.json()["id"]
        follower_states: list[str] = []
        follower = threading.Thread(target=lambda: follower_states.extend(s.state for s in DreamClient(served.url, timeout=30).events(job_id)))
        follower.start()
        _wait_running(served, job_id)
        health, health_thread = _watch(lambda session: session.get(f"{served.url}/v1/health", timeout=2))
        submits, submits_thread = _watch(_submit_nothing(served.url))
        time.sleep(0.2)

        signalled = time.monotonic()
        elapsed, code = _stop(served, sig)
        for thread in (health_thread, submits_thread, follower):
            thread.join(10)
        log = served.stderr()
        assert code == 0 and elapsed < EXIT_WITHIN, log
        assert "Traceback" not in log and "Exception" not in log, log
        assert f"stopping ({'Ctrl+C' if sig == signal.SIGINT else 'SIGTERM'})" in log
        assert "the running dream was cancelled; it stopped in" in log and log.rstrip().endswith("stopped.")

        # Clients were told, not left hanging: no silences; new work refused with 503 shutting_down; health
        # answered throughout, saying it no longer accepts work; the follower saw the dream cancelled.
        assert not health.silences and not submits.silences
        after = [(status, body) for at, status, body in submits.answers if at > signalled]
        assert any(status == 503 and body["error"]["code"] == "shutting_down" for status, body in after), after
        assert all(status in (422, 503) for _, status, _ in submits.answers)
        assert all(status == 200 for _, status, _ in health.answers)
        assert any(at > signalled and body["accepting"] is False for at, _, body in health.answers)
        assert follower_states[-1] == "cancelled"
    finally:
        served.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_while_idle_exits_at_once_and_says_what_happened(sig):
    served = start_serve()
    try:
        elapsed, code = _stop(served, sig)
        log = served.stderr()
        assert code == 0 and elapsed < 5, log
        assert "no dream was running." in log and "the running dream" not in log and "cancelling" not in log
        assert "Traceback" not in log
    finally:
        served.close()


def test_a_long_step_of_a_big_dream_does_not_hold_up_the_exit():
    # One step of a 2048² dream at full scale takes tens of seconds on two cores: far longer than the stop waits.
    served = start_serve()
    try:
        r = requests.post(f"{served.url}/v1/dreams", files={"image": ("in.png", png_bytes(2048, 2048), "image/png")},
                          data={**TINY, "steps": "2"}, timeout=30)
        job_id = r.json()["id"]
        _wait_running(served, job_id)
        # Well into its first step, which checks for cancelling only when it ends. The real process runs a real
        # dream (no held runner can be handed to it), and either outcome below passes; the in-process test below
        # holds a step past the wait for certain.
        time.sleep(2)
        elapsed, code = _stop(served, signal.SIGTERM)
        log = served.stderr()
        assert code == 0 and elapsed < EXIT_WITHIN, log
        assert "Traceback" not in log
        # Whether this machine ends the step within the wait or not, the exit is on time and the log says which:
        # one of the two, and leaving the dream only once the wait is over.
        stopped, left = "it stopped in" in log, f"did not stop within {WORKER_WAIT:g} s; leaving it." in log
        assert stopped != left, log
        assert stopped or elapsed >= WORKER_WAIT, (elapsed, log)
    finally:
        served.close()


def test_dreamlayer_serve_stopped_by_sigterm_leaves_no_film_folder(tmp_path):
    """The real command, which leaves with os._exit once its connections are closed: its films go before that."""
    port = _free_port()
    serve = subprocess.Popen([sys.executable, "-m", "dreamlayer", "serve", "--port", str(port), "--film-folder",
                              str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = DreamClient(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 120
        while True:
            try:
                client.health()
                break
            except ClientError:
                assert time.monotonic() < deadline and serve.poll() is None, "the server never answered"
                time.sleep(0.2)
        job = client.submit_zoom({"frames": 2, "format": "gif", **QUICK}, None, 64, 48)
        client.wait(job.id, poll_seconds=0.05)
        assert any(folder.iterdir() for folder in tmp_path.iterdir())  # its job folder is there
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
    assert not any(tmp_path.iterdir())


class StuckStep:
    """MOCK of the server's runner: one step that outlasts the stop's wait and only then looks at its cancel flag, as
    the first step of a big dream on a CPU does. The queue, the cancel path and the ordered stop are the real ones."""

    device = "cpu"
    loaded_models = ["lite0"]

    def __init__(self) -> None:
        self.started, self.step_over = threading.Event(), threading.Event()

    def __call__(self, job, queue):
        self.started.set()
        self.step_over.wait(30)
        if job.should_stop():
            raise Cancelled("The dream was cancelled.")
        raise AssertionError("the job was never asked to stop")


def stop_quietly(live: LiveServer) -> list[str]:
    """The ordered stop of `dreamlayer serve`, its log lines kept; then the loop thread must be gone."""
    said: list[str] = []
    stop_in_order(live.server, live.app, "a test", say=said.append, last_word=0)
    live.thread.join(5)
    finish(live.server)
    assert not live.thread.is_alive()
    return said


def test_an_ordered_stop_cancels_the_running_dream_ends_its_stream_and_says_so():
    runner = HeldRunner()
    live = start_server(runner=runner)
    try:
        job_id = requests.post(f"{live.url}/v1/dreams", files={"image": ("in.png", png_bytes(), "image/png")},
                               data=TINY, timeout=10).json()["id"]
        assert runner.started.wait(10)
        states: list[str] = []
        follower = threading.Thread(target=lambda: states.extend(s.state for s in DreamClient(live.url, timeout=30).events(job_id)))
        follower.start()
        deadline = time.monotonic() + 10
        while live.app.extensions[EXTENSION_KEY].streams.open < 1:
            assert time.monotonic() < deadline, "the event stream never opened"
            time.sleep(0.01)
        said = stop_quietly(live)
    finally:
        runner.release()
    follower.join(10)
    assert said[0].startswith("stopping (a test): new dreams are refused")
    assert said[1].startswith("the running dream was cancelled; it stopped in"), said
    assert states[-1] == "cancelled" and live.queue.stats()["running"] is None


def test_a_step_that_outlasts_the_wait_is_left_and_the_stop_goes_on(monkeypatch):
    monkeypatch.setattr(shutdown, "WORKER_WAIT", 0.5)  # the real wait is 3.5 s: the same path, sooner
    runner = StuckStep()
    live = start_server(runner=runner)
    try:
        requests.post(f"{live.url}/v1/dreams", files={"image": ("in.png", png_bytes(), "image/png")}, data=TINY,
                      timeout=10)
        assert runner.started.wait(10)
        start = time.monotonic()
        said = stop_quietly(live)
        elapsed = time.monotonic() - start
    finally:
        runner.step_over.set()
    assert "the running dream was cancelled but did not stop within 0.5 s; leaving it." in said
    # It waited the whole 0.5 s for the step, then went on: the step itself would have held it 30 s; the stop's
    # other waits are bounded (about 3 s at most) and the promise is 10 s.
    assert 0.5 <= elapsed < EXIT_WITHIN, elapsed
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{live.url}/v1/health", timeout=2)  # and it stopped listening all the same

