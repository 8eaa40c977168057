"""Stopping a running server in order, from a thread of its own, within a few seconds.

The stages, each logged in one line:
1. new work is refused with 503 ``shutting_down``; health and status go on answering;
2. waiting jobs are cancelled and the running one is asked to stop, and the worker is waited for (bounded);
3. event streams are ended, so no request thread is left waiting on a job;
4. after a last word of half a second, the films' job folders are removed (a frame being sent is still sent: its
   file is open), the listening socket is closed, requests in flight get a moment to finish, then every
   connection is closed and waitress's loop is asked, through its trigger, to end.

waitress has no graceful stop of its own: its ``task_dispatcher.shutdown`` waits 5 s for threads still held by
streams, and closing its trigger while request threads may still pull it made them raise. So this module does the
stopping itself, in this order, and leaves the trigger's pipe open until every request thread is gone (``finish``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from waitress import wasyncore

from .services import EXTENSION_KEY

# A running dream checks its cancel flag at every step; a long step of a big picture on a CPU may take seconds.
# With the waits below and serve.LOOP_WAIT, the worst case stays under the promised 10 s (about 9 s).
WORKER_WAIT = 3.5
STREAMS_WAIT = 1.0
REQUESTS_WAIT = 1.0
# Once the work has stopped, the server still answers this long: plug-ins poll every quarter second, so each sees
# its dream's final state, and new work its 503 shutting_down, rather than a refused connection.
LAST_WORD = 0.5

Say = Callable[[str], None]


def say_on_stderr(message: str) -> None:
    print(f"dreamlayer server: {message}", file=sys.stderr, flush=True)


def stop_in_order(server: Any, app: Flask, reason: str, say: Say = say_on_stderr,
                  last_word: float = LAST_WORD) -> None:
    """Stop ``server`` (a waitress server running ``app``); call from any thread but waitress's loop. Returns once
    the loop has been asked to end; its ``run()`` then returns, and ``finish(server)`` releases the rest."""
    services = app.extensions[EXTENSION_KEY]
    try:
        running, waiting = services.queue.begin_shutdown()
        say(f"stopping ({reason}): new dreams are refused; health and status answer until the end.")
        services.live.stop()  # what waits answers at once; what runs stops at its next step
        services.atlas.stop()  # after its step under way, at most; its pictures so far stay in the cache
        _stop_jobs(services.queue, running, waiting, say)
        if services.cluster is not None:
            services.cluster.leave()
        streams = services.streams.close_all(services.queue, STREAMS_WAIT)
        if streams:
            say(f"{streams} open event stream{'s' if streams != 1 else ''} ended.")
        time.sleep(last_word)
    finally:
        # Before the connections close: once they have, `dreamlayer serve` may leave at once (os._exit).
        services.limits.films.remove_all()
        _close_connections(server)


def finish(server: Any, timeout: float = 1.0) -> None:
    """After the loop has returned: let waitress's request threads go, then close the trigger's pipe."""
    server.task_dispatcher.shutdown(timeout=timeout)
    if not server.task_dispatcher.threads:  # no thread is left that could still pull the trigger
        server.trigger.close()


def _stop_jobs(queue: Any, running: str | None, waiting: int, say: Say) -> None:
    cancelled = f" {waiting} waiting dream{'s were' if waiting != 1 else ' was'} cancelled." if waiting else ""
    if running is None:
        queue.wait_stopped(WORKER_WAIT)  # the idle worker wakes and ends at once
        say(f"no dream was running.{cancelled}")
        return
    start = time.monotonic()
    if queue.wait_stopped(WORKER_WAIT):
        say(f"the running dream was cancelled; it stopped in {time.monotonic() - start:.1f} s.{cancelled}")
    else:
        say(f"the running dream was cancelled but did not stop within {WORKER_WAIT:g} s; leaving it.{cancelled}")


def _close_connections(server: Any) -> None:
    listening_closed, loop_released = threading.Event(), threading.Event()
    server.trigger.pull_trigger(lambda: _stop_listening(server, listening_closed))
    listening_closed.wait(REQUESTS_WAIT)
    deadline = time.monotonic() + REQUESTS_WAIT
    while _any_busy(server) and time.monotonic() < deadline:
        time.sleep(0.02)
    server.trigger.pull_trigger(lambda: _close_everything(server, loop_released))
    loop_released.wait(REQUESTS_WAIT)


def _is_busy(channel: Any) -> bool:
    """A request is being answered on this connection, or its answer is still being sent."""
    return bool(channel.requests) or channel.total_outbufs_len > 0


def _any_busy(server: Any) -> bool:
    # Read from this thread while the loop runs: copying the dict's values is atomic under the GIL.
    return any(_is_busy(channel) for channel in list(server.active_channels.values()))


def _stop_listening(server: Any, done: threading.Event) -> None:
    """On the loop's thread: close the listening socket and the idle connections; busy ones may finish."""
    wasyncore.dispatcher.close(server)  # the listening socket only: BaseWSGIServer.close would close the trigger too
    for channel in list(server.active_channels.values()):
        if not _is_busy(channel):
            channel.handle_close()
    done.set()


def _close_everything(server: Any, done: threading.Event) -> None:
    """On the loop's thread: close every connection and take the trigger out of the loop's map, which ends it."""
    for channel in list(server.active_channels.values()):
        channel.handle_close()
    # Out of the map, but its pipe stays open: a request thread ending late may still pull it (see finish).
    server.trigger.del_channel()
    done.set()
