"""The docker's side of the server: the chosen one (server_link.py), what it describes (its models and settings),
and a watch that notices it come, go or restart while the docker is visible.

The watch asks ``/v1/health`` every WATCH_SECONDS on a worker thread (never two at once), and says what changed
through ``changed`` (health.py decides what counts as a change); when a server comes or comes back, its
description is fetched again, so the knobs follow the server that now answers. It never starts a server: the
managed one is started when the docker opens, when the server settings change, and when Dream needs it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from dreamlayer_editor.protocol import ClientError

from .health import HealthTracker
from .qt import QObject, QtCore, pyqtSignal
from .server_link import ServerChoice, ServerLink

log = logging.getLogger("dreamlayer_krita")
WATCH_SECONDS = 3.0


def _problem(address: str, exc: Exception) -> str:
    """What to tell the artist about a failed request: a ClientError's own message, else that the answer made no
    sense (another program on the port, or a server of another kind)."""
    if isinstance(exc, ClientError):
        return str(exc)
    log.warning("dreamlayer: odd answer from %s: %r", address, exc)
    return f"Something at {address} answered, but not as a dreamlayer server does ({type(exc).__name__})."


class Connection(QObject):
    changed = pyqtSignal(str, str)  # "connecting", "starting", "connected" or "not connected", and what to say
    described = pyqtSignal(object)  # the server's /v1/models answer
    _reported = pyqtSignal(str, str)  # from worker threads
    _looked = pyqtSignal(object, object, str)  # (the choice looked at, health or None, error)

    def __init__(self, log_file: str, parent_pid: int):
        super().__init__()
        self.link = ServerLink(log_file, parent_pid, report=self._reported.emit)
        self.tracker = HealthTracker()
        self.state, self.text = "connecting", ""
        self.health: dict[str, Any] | None = None
        self._looking = False
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(int(WATCH_SECONDS * 1000))
        self._timer.timeout.connect(self.look)
        self._reported.connect(self.say)
        self._looked.connect(self._on_look)

    @property
    def choice(self) -> ServerChoice | None:
        return self.link.choice

    def configure(self, choice: ServerChoice) -> bool:
        """Use this server; True if it is another one than before (then ``check()`` it)."""
        if choice == self.link.choice:
            return False
        self.link.configure(choice)
        self.tracker.forget()
        self.health = None
        self.say("connecting", f"Connecting to {choice.address}...")
        return True

    def check(self) -> None:
        """Reach the server (starting the managed one if nothing answers) and fetch its description, in the
        background; answers through ``changed`` and ``described``."""
        choice = self.link.choice

        def work() -> None:
            try:
                client = self.link.ready()
                info = client.models()
                health = client.health()
            except Exception as exc:  # noqa: BLE001 - whatever answers there, the docker says what happened
                self._looked.emit(choice, None, _problem(choice.address, exc))
                return
            self._looked.emit(choice, health, "")
            self.described.emit(info)

        threading.Thread(target=work, name="dreamlayer-check", daemon=True).start()

    def watch(self, on: bool) -> None:
        """Look at the server every few seconds (while the docker is visible), or stop looking."""
        if on and not self._timer.isActive():
            self._timer.start()
        elif not on:
            self._timer.stop()

    def look(self) -> None:
        """One look at /v1/health, in the background (skipped while one is under way or a start is)."""
        if self._looking or self.link.choice is None or self.state == "starting":
            return
        self._looking = True
        choice, client = self.link.choice, self.link.client()

        def work() -> None:
            try:
                health = client.health()
                if not isinstance(health, dict):
                    raise ValueError(f"/v1/health gave {type(health).__name__}")
            except Exception as exc:  # noqa: BLE001 - a watch that died would never look again
                self._looked.emit(choice, None, _problem(choice.address, exc))
                return
            self._looked.emit(choice, health, "")

        threading.Thread(target=work, name="dreamlayer-watch", daemon=True).start()

    def _on_look(self, choice: ServerChoice, health: dict[str, Any] | None, error: str) -> None:
        self._looking = False
        if choice != self.link.choice:
            return  # an answer about a server no longer chosen
        if health is not None:
            self.health = health
        change = self.tracker.saw(choice.address, health, error, choice.managed)
        if change is None:
            return
        self.say(change.state, change.text)
        if change.state == "connected" and change.restarted:
            self.check()  # another server: its description may differ

    def say(self, state: str, text: str) -> None:
        """Tell the docker how the connection stands (a problem found elsewhere too)."""
        if state == "connected" and self.state == "starting":
            self.tracker.forget()  # the next look is the first at the new server
        self.state, self.text = state, text
        self.changed.emit(state, text)
