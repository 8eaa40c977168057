"""When a managed server ends by itself: the editor that started it has gone (``--parent-pid``), or nobody has
used it for a while (``--idle-exit``). Either way it stops as on Ctrl+C, in order (shutdown.py).

The editor plugins start ``dreamlayer serve`` for the artist. Krita passes its own process id, so a Krita that
quits, crashes or is killed leaves no server behind (checked every second). GIMP's plug-ins live only as long as
one call, so the server they start stays for the next call and leaves once idle.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

from .jobs import JobQueue

PARENT_CHECK_SECONDS = 1.0
Stop = Callable[[str], None]


class Activity:
    """When the server was last asked anything (every request touches it)."""

    def __init__(self) -> None:
        self._last = time.monotonic()

    def touch(self) -> None:
        self._last = time.monotonic()

    def idle_for(self) -> float:
        return time.monotonic() - self._last


def process_alive(pid: int) -> bool:
    if sys.platform == "win32":
        import ctypes

        kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists; it just isn't ours to signal
    return True


def watch_parent(pid: int, stop: Stop) -> None:
    """Stop once process ``pid`` has ended."""
    def watch() -> None:
        while process_alive(pid):
            time.sleep(PARENT_CHECK_SECONDS)
        stop(f"the program that started it (process {pid}) has ended")

    threading.Thread(target=watch, name="dreamlayer-parent-watch", daemon=True).start()


def watch_idle(seconds: float, activity: Activity, queue: JobQueue, stop: Stop) -> None:
    """Stop once no dream has run or waited, and no request come, for ``seconds``."""
    def watch() -> None:
        while True:
            if queue.busy():
                activity.touch()
            elif activity.idle_for() >= seconds:
                stop(f"nobody has used it for {seconds:g} s")
                return
            time.sleep(min(1.0, seconds / 4))

    threading.Thread(target=watch, name="dreamlayer-idle-watch", daemon=True).start()
