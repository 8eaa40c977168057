"""The app factory: the server's configuration reaches Flask, the queue and the engine, the runner it is given runs
the jobs, and the debugger is never on."""

from __future__ import annotations

import time

import requests

from dreamlayer.server.app import DEFAULTS, FORM_FIELDS, create_app, engine_options, largest_upload
from dreamlayer.server.services import EXTENSION_KEY

from ..held_runner import HeldRunner


def test_server_options_reach_the_engine():
    assert engine_options(DEFAULTS).memory_budget is None and engine_options(DEFAULTS).compile_backend is None
    options = engine_options({**DEFAULTS, "GPU_MEMORY_BUDGET": 3.5, "COMPILE": True})
    assert options.memory_budget == int(3.5 * 2**30) and options.compile_backend == "inductor"


def test_debug_is_off(server):
    assert server.app.debug is False
    assert requests.get(f"{server.url}/console", timeout=5).status_code == 404


def test_the_app_is_made_from_its_configuration_and_runs_the_runner_it_is_given():
    runner = HeldRunner()
    app = create_app({"MAX_UPLOAD_BYTES": 1000, "MAX_VIDEO_UPLOAD_BYTES": 5000, "MAX_VIDEO_FRAMES": 7}, runner)
    held = app.extensions[EXTENSION_KEY]
    try:
        assert held.runner is runner and app.debug is False
        # Flask's own caps: the largest body any route takes, and a video's frames plus its settings as parts.
        assert app.config["MAX_CONTENT_LENGTH"] == largest_upload(app.config) == 5000
        assert app.config["MAX_FORM_PARTS"] == 7 + FORM_FIELDS
        assert app.config["HOST"] == DEFAULTS["HOST"] == "127.0.0.1"  # loopback unless told otherwise
        assert 0 < time.time() - app.config["STARTED"] < 60
        job = held.queue.submit(None)
        assert runner.started.wait(10)  # the worker was started, with this runner
        assert held.queue.stats()["running"] == job.id
    finally:
        runner.release()
        held.queue.shutdown(5)
        held.limits.films.remove_all()
