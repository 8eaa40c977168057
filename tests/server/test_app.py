"""The app factory: the server's configuration reaches the engine, and the debugger is never on."""

from __future__ import annotations

import requests

from dreamlayer.server.app import DEFAULTS, engine_options


def test_server_options_reach_the_engine():
    assert engine_options(DEFAULTS).memory_budget is None and engine_options(DEFAULTS).compile_backend is None
    options = engine_options({**DEFAULTS, "GPU_MEMORY_BUDGET": 3.5, "COMPILE": True})
    assert options.memory_budget == int(3.5 * 2**30) and options.compile_backend == "inductor"


def test_debug_is_off(server):
    assert server.app.debug is False
    assert requests.get(f"{server.url}/console", timeout=5).status_code == 404
