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
        self.queue.shutdown(timeout=10)

        def close_everything() -> None:
            # Runs on waitress's own loop thread (closing sockets from here would race its select()). Idle
            # keep-alive connections are closed too, or they would keep the loop alive.
            for channel in list(self.server._map.values()):
                if channel is not self.server and channel is not self.server.trigger:
                    channel.close()
            self.server.close()

        self.server.trigger.pull_trigger(close_everything)
        self.thread.join(5)
        self.server.task_dispatcher.shutdown()
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
