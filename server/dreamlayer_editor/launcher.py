"""Starting and looking after a local dream server for an editor plugin: the "managed" server.

The rules, so that nothing is orphaned and nothing is lost:

- A dreamlayer server that already answers on the port is used as it is, and left alone: only a server this
  launcher started is ever stopped by it. It needs no Python recorded: that is only asked for (``NoPython``) when
  a server has to be started.
- A port held by another program is reported, naming the port and what to do; nothing is started there.
- A started server is told to exit when the editor does (``--parent-pid``: it watches the editor's process, so a
  killed editor leaves no server behind) or after an idle time (``--idle-exit``, for GIMP, whose plug-ins are
  short-lived processes: the server outlives one call and serves the next).
- The server writes its log to a file in the editor's data folder; start failures quote its last lines. A log
  grown past LOG_KEEP_BYTES is moved to ``.old`` before a start, so the last one is always there to read.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from .protocol import DEFAULT_PORT

READY_TIMEOUT = 180.0  # seconds a start may take: importing torch and loading the model, on a slow laptop
LOG_KEEP_BYTES = 2 * 2**20


class LaunchError(Exception):
    """The server could not be started or reached; ``str()`` is a message for the artist."""


class PortTaken(LaunchError):
    """Another program listens on the port."""


class NoPython(LaunchError):
    """Nothing answers on the port, and no Python is set to start a server there. Each plugin says where to set it."""


def probe(host: str, port: int, timeout: float = 2.0) -> str:
    """'dreamlayer' if a dreamlayer server answers there, 'other' if something else listens, 'free' if nothing."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/v1/health", timeout=timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
            return "dreamlayer" if isinstance(body, dict) and "version" in body and "device" in body else "other"
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read().decode("utf-8"))["error"]
            return "dreamlayer" if exc.code in (401, 403, 503) and "code" in error else "other"
        except (ValueError, KeyError, TypeError):
            return "other"
    except (urllib.error.URLError, OSError, ValueError):
        pass
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return "other"  # it accepts connections but does not speak dreamlayer
    except OSError:
        return "free"


class ServerLauncher:
    """Start ``python -m dreamlayer serve`` when none answers on ``port``, and stop only what it started."""

    def __init__(self, python: str, log_file: str | Path, port: int = DEFAULT_PORT, device: str = "auto",
                 parent_pid: int | None = None, idle_exit: float | None = None, host: str = "127.0.0.1"):
        self.python, self.log_file, self.port, self.device = python, Path(log_file), port, device
        self.parent_pid, self.idle_exit, self.host = parent_pid, idle_exit, host
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        command = [self.python, "-m", "dreamlayer", "serve", "--port", str(self.port), "--device", self.device,
                   "--log-file", str(self.log_file)]
        if self.parent_pid:
            command += ["--parent-pid", str(self.parent_pid)]
        if self.idle_exit:
            command += ["--idle-exit", f"{self.idle_exit:g}"]  # GIMP's setting may be a fraction of a second
        return command

    def ensure_running(self, on_starting: Callable[[], None] | None = None, timeout: float = READY_TIMEOUT) -> bool:
        """Make sure a dreamlayer server answers; returns True if this call started it."""
        state = probe(self.host, self.port)
        if state == "dreamlayer":
            return False
        if state == "other":
            raise PortTaken(f"Port {self.port} is used by another program, not a dreamlayer server. Close that "
                            f"program, or choose another port for dreamlayer in the plugin's server settings.")
        if self.process is not None and self.process.poll() is None:
            self._wait_until_ready(timeout)  # started earlier and still starting
            return False
        if not self.python:  # only now: a server started by hand (a Flatpak editor's case) needs no Python here
            raise NoPython(f"No dreamlayer server answers on port {self.port}, and no Python is set to start one.")
        if on_starting is not None:
            on_starting()
        self._start()
        self._wait_until_ready(timeout)
        return True

    def _start(self) -> None:
        if not Path(self.python).is_file():
            raise LaunchError(f"The Python that runs the dream server is not there: {self.python}. Run "
                              "`dreamlayer install-plugin` again, or set the server's Python in the plugin's settings.")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            if self.log_file.stat().st_size > LOG_KEEP_BYTES:
                os.replace(self.log_file, self.log_file.with_name(self.log_file.name + ".old"))
        except OSError:
            pass  # no log yet
        # An editor's bundled Python may set PYTHONHOME for itself; the server's own Python must not inherit it.
        environment = {name: value for name, value in os.environ.items() if name != "PYTHONHOME"}
        flags = {"creationflags": 0x08000000} if sys.platform == "win32" else {"start_new_session": True}  # no console window
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            env=environment, **flags)

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if probe(self.host, self.port, timeout=1.0) == "dreamlayer":
                return
            if self.process is not None and self.process.poll() is not None:
                raise LaunchError(f"The dream server stopped while starting (exit {self.process.returncode}). "
                                  f"Its log is {self.log_file}; its last lines:\n{self.last_log_lines()}")
            time.sleep(0.25)
        raise LaunchError(f"The dream server did not answer within {timeout:.0f} s. Its log is {self.log_file}.")

    def last_log_lines(self, count: int = 8) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-count:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server this launcher started (if it did, and it still runs); a server started by anyone else
        is never touched."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    @property
    def running_here(self) -> bool:
        """Whether this launcher started the server that now runs."""
        return self.process is not None and self.process.poll() is None

