"""What Copy diagnostics puts on the clipboard, for a bug report: the versions (plugin, Krita, Qt, PyQt, Python,
system), the server (managed or at a URL, its address, the managed server's Python and log file, and the version,
device and start time it last reported), and the last errors the docker showed. Never the token: the text is
made to be pasted in public.

Host-neutral (no Krita, no Qt), so it is tested on its own.
"""

from __future__ import annotations

import collections
import datetime
import logging
import logging.handlers
import os
import platform
import sys
from typing import Any

from .health import describe
from .server_link import ServerChoice

LAST_ERRORS = 10
log = logging.getLogger("dreamlayer_krita")


class LastErrors:
    """The last few errors the artist was shown, with the time each was shown."""

    def __init__(self) -> None:
        self._errors: collections.deque[str] = collections.deque(maxlen=LAST_ERRORS)

    def add(self, message: str) -> None:
        """Keep the message, unless it is the last one again (the docker and the dream say the same thing)."""
        if self._errors and self._errors[-1].split(" ", 1)[1] == message:
            return
        self._errors.append(f"{datetime.datetime.now():%H:%M:%S} {message}")

    def lines(self) -> list[str]:
        return list(self._errors)


def report(versions: dict[str, str], choice: ServerChoice | None, connection: str, health: dict[str, Any] | None,
           log_file: str, errors: list[str]) -> str:
    """The diagnostics as plain text; ``versions`` maps a name (plugin, Krita, Qt...) to its version."""
    lines = ["dreamlayer for Krita: diagnostics"]
    lines += [f"{name}: {version}" for name, version in versions.items()]
    lines += [f"Python: {sys.version.split()[0]}", f"System: {platform.platform()}"]
    if choice is None:
        lines.append("Server: none chosen yet")
    elif choice.managed:
        lines += [f"Server: managed, on this computer, {choice.address}, device {choice.device}",
                  f"Server's Python: {choice.python or '(not recorded: reinstall the plugin)'}",
                  f"Server's log: {log_file}"]
    else:
        lines.append(f"Server: at {choice.address}, {'with' if choice.token else 'without'} a token")
    lines.append(f"Connection: {connection}")
    lines.append(f"Server says: {describe(health) if health else '(no answer yet)'}")
    lines.append("Last errors:" if errors else "Last errors: none")
    lines += [f"  {line}" for line in errors]
    return "\n".join(lines) + "\n"


def log_to_file(path: str) -> None:
    """The plugin's own log (warnings, and the tracebacks kept from the artist's view) into a file beside the
    server's, so nothing is lost with Krita's terminal. Nothing the plugin logs holds the token."""
    if any(getattr(handler, "baseFilename", None) == os.path.abspath(path) for handler in log.handlers):
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2**20, backupCount=1, encoding="utf-8")
    except OSError as exc:
        log.warning("dreamlayer: can't write the plugin's log %s (%s)", path, exc)
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
