"""A real waitress server on a loopback port, in a background thread, for tests over real HTTP."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
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
