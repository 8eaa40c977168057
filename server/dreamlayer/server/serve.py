"""Serving the app with waitress, within limits on threads and connections, and stopping on Ctrl+C or SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import threading
from typing import Any

import waitress
from flask import Flask

from .app import largest_upload
from .lifetime import watch_idle, watch_parent
from .services import EXTENSION_KEY
from .shutdown import finish, say_on_stderr, stop_in_order
from .startup import check_bind, connection_limit

# Request threads beyond the event-stream cap: each open stream holds one, and these stay free for health, status,
# cancel, submits and downloads (streams.py refuses streams beyond the cap).
RESERVED_THREADS = 8
# Request bodies up to this size stay in memory instead of a temporary file (waitress's default is 512 KiB):
# a 2048² RGBA layer is 16 MiB and should not go through the disk.
INBUF_OVERFLOW = 64 * 2**20
# How long the stopping thread waits for waitress's loop to end once everything is closed (it normally takes ms).
LOOP_WAIT = 1.0


def make_server(app: Flask, host: str, port: int) -> Any:
    """A waitress server for the app; it refuses over-large bodies from their Content-Length, unread."""
    check_bind(host, app.config.get("TOKEN"))
    config = app.config
    timeout = int(config["CHANNEL_TIMEOUT"])
    server = waitress.create_server(
        app, host=host, port=port, threads=config["MAX_STREAMS"] + RESERVED_THREADS,
        # Slow or stalled connections (a header sent byte by byte, or never finished) hold no thread, only a place
        # among these; waitress closes those idle for channel_timeout s, looking for them every cleanup_interval s.
        connection_limit=connection_limit(config["CONNECTION_LIMIT"]), channel_timeout=timeout,
        cleanup_interval=max(1, min(5, timeout // 2)),
        asyncore_use_poll=True,  # select() fails on descriptors above 1023, which a thousand connections reach
        max_request_body_size=largest_upload(config), clear_untrusted_proxy_headers=True,
        inbuf_overflow=INBUF_OVERFLOW,
    )
    app.config["HOST"], app.config["PORT"] = host, server.effective_port
    return server


class StopSignals:
    """Ctrl+C and SIGTERM, turned into a byte on a socket that the stopping thread waits on.

    The Python-level handlers do nothing: ``signal.set_wakeup_fd`` has the interpreter's C-level handler write the
    signal's number to the socket at once, whichever thread the signal landed on. So nothing is raised in the main
    thread (a KeyboardInterrupt at an arbitrary point of waitress's loop can leave a lock held or the loop half
    closed) and no lock is taken inside a handler.
    """

    def __init__(self) -> None:
        self._receive, self._send = socket.socketpair()
        self._send.setblocking(False)
        self._reason = ""
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: None)
        signal.set_wakeup_fd(self._send.fileno(), warn_on_full_buffer=False)

    def request(self, reason: str) -> None:
        """Stop for another reason than a signal (the editor has gone, nobody uses the server): from any thread."""
        self._reason = reason
        self._send.send(b"\0")

    def wait(self) -> str:
        """Block until a stop signal or request arrives; its reason for the log."""
        number = self._receive.recv(1)[0]
        if number == 0:
            return self._reason
        return "Ctrl+C" if number == signal.SIGINT else signal.Signals(number).name


def serve(app: Flask, host: str, port: int, parent_pid: int | None = None, idle_exit: float | None = None) -> int:
    """Run until Ctrl+C or SIGTERM (or, when asked, until process ``parent_pid`` ends or nobody has used the
    server for ``idle_exit`` seconds), then stop in order (shutdown.py); returns 0 within a few seconds."""
    server = make_server(app, host, port)
    signals, loop_ended = StopSignals(), threading.Event()
    services = app.extensions[EXTENSION_KEY]
    if parent_pid:
        watch_parent(parent_pid, signals.request)
    if idle_exit:
        watch_idle(idle_exit, services.activity, services.queue, signals.request)

    def stop() -> None:
        stop_in_order(server, app, signals.wait())
        # A safety net for the promise to exit within 10 s: should waitress's loop not end, leave without it.
        if not loop_ended.wait(LOOP_WAIT):
            say_on_stderr(f"the connection loop did not end within {LOOP_WAIT:g} s; leaving without it.")
            os._exit(1)

    threading.Thread(target=stop, name="dreamlayer-stop", daemon=True).start()
    shown = f"[{host}]" if ":" in host else host
    say_on_stderr(f"listening on http://{shown}:{server.effective_port} (Ctrl+C to stop)")
    server.run()  # returns once stop_in_order has closed every connection
    loop_ended.set()
    finish(server)
    say_on_stderr("stopped.")
    return 0
