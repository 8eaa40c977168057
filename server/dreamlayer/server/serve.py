"""Serving the app with waitress, and stopping cleanly on Ctrl+C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import sys

import waitress
from flask import Flask

from ..errors import DreamlayerError
from .security import is_loopback
from .services import EXTENSION_KEY

log = logging.getLogger("dreamlayer.server")
# Each open event stream holds a thread; leave room for status, cancel and health beside a few streams.
THREADS = 8
# Request bodies up to this size stay in memory instead of a temporary file (waitress's default is 512 KiB):
# a 2048² RGBA layer is 16 MiB and should not go through the disk.
INBUF_OVERFLOW = 64 * 2**20


class InsecureBind(DreamlayerError):
    code = "insecure_bind"


def check_bind(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise InsecureBind(
            f"Refusing to listen on {host} without an access token: anyone on the network could use this machine. "
            "Add --token-file FILE (or --token T), or stay on 127.0.0.1."
        )


def make_server(app: Flask, host: str, port: int):
    """A waitress server for the app; it refuses over-large bodies from their Content-Length, unread."""
    check_bind(host, app.config.get("TOKEN"))
    server = waitress.create_server(
        app, host=host, port=port, threads=THREADS, channel_timeout=30,
        max_request_body_size=app.config["MAX_UPLOAD_BYTES"], clear_untrusted_proxy_headers=True,
        inbuf_overflow=INBUF_OVERFLOW,
    )
    app.config["HOST"], app.config["PORT"] = host, server.effective_port
    return server


def serve(app: Flask, host: str, port: int) -> int:
    """Run until Ctrl+C or SIGTERM; then refuse new jobs, cancel the running one and exit within seconds."""
    server = make_server(app, host, port)
    queue = app.extensions[EXTENSION_KEY].queue

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    shown = f"[{host}]" if ":" in host else host
    print(f"dreamlayer server listening on http://{shown}:{server.effective_port} (Ctrl+C to stop)", file=sys.stderr, flush=True)
    try:
        server.run()  # returns after Ctrl+C or SIGTERM: waitress catches the KeyboardInterrupt and closes
    finally:
        print("dreamlayer server stopping: refusing new dreams, cancelling the running one.", file=sys.stderr, flush=True)
        queue.shutdown(timeout=8.0)
        server.close()
    return 0
