"""Fixtures of the server's tests (tests/conftest.py's are shared with them too)."""

from __future__ import annotations

import pytest

from ..live_server import start_server


@pytest.fixture(scope="module")
def small_server():
    """A server with a 4 MB upload limit, so over-large bodies are cheap to make."""
    live = start_server({"MAX_UPLOAD_BYTES": 4 * 2**20, "MAX_PIXELS": 1024 * 1024})
    yield live
    live.stop()
