"""A real waitress server on a loopback port, in a background thread, for tests over real HTTP; and the few
requests many of those tests make."""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import requests
from flask import Flask
from PIL import Image

from dreamlayer.server import create_app
from dreamlayer.server.serve import make_server
from dreamlayer.server.services import EXTENSION_KEY
from dreamlayer.server.shutdown import finish, stop_in_order

from .conftest import cat_rgb

# Small and quick: one octave of a few steps on a 64×48 picture takes well under a second on two cores.
TINY = {"octaves": "1", "steps": "2", "scale": "1", "jitter": "4", "seed": "1"}


@dataclass
class LiveServer:
    app: Flask
    server: Any
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.app.config["PORT"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def queue(self):
        return self.app.extensions[EXTENSION_KEY].queue

    def stop(self) -> None:
        """The same ordered stop as `dreamlayer serve` on Ctrl+C, quietly, then the loop thread must be gone."""
        stop_in_order(self.server, self.app, "end of test", say=lambda message: None, last_word=0)
        self.thread.join(5)
        finish(self.server)
        assert not self.thread.is_alive()


def start_server(config: dict[str, Any] | None = None, runner=None) -> LiveServer:
    app = create_app({"MAX_COST": 50_000_000, **(config or {})}, runner)
    server = make_server(app, app.config["HOST"], 0)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    return LiveServer(app, server, thread)


def png_bytes(width: int = 64, height: int = 48, mode: str = "RGB") -> bytes:
    rgb = (cat_rgb(width, height) * 255).astype(np.uint8)
    image = Image.fromarray(rgb).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def wait_done(server, job_id: str, timeout: float = 60) -> dict:
    """Poll the job's status until it has ended (done, failed or cancelled), or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(f"{server.url}/v1/jobs/{job_id}", timeout=5).json()
        if status["state"] in ("done", "failed", "cancelled"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def post_file(url: str, data: bytes, name: str = "in.png", mime: str = "image/png", fields=None) -> requests.Response:
    """A dream of ``data`` as its image part, with TINY's settings and ``fields``."""
    return requests.post(f"{url}/v1/dreams", files={"image": (name, data, mime)}, data={**TINY, **(fields or {})}, timeout=10)


def assert_json_error(response: requests.Response, status: int, code: str | None = None) -> None:
    """The response is the server's JSON error, with ``status`` and (if given) its ``code``."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
