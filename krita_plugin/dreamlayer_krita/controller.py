"""What the docker and the actions share, split by concern: what is dreamed (knob_state.py: the settings
description, the preset and the knobs' values), what is queued (dream_queue.py: the dreams asked for, in
lineup.py), what is live (live_watch.py, and Keep in live_keep.py), and here what is shown and reached: the server
(connection.py), the diagnostics and the last errors. The docker only shows this state and forwards the artist's
presses here.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from krita import Krita

from dreamlayer_editor.description import Description, DescriptionError, installed_version

from . import diagnostics
from . import state as state_file
from .connection import Connection
from .dream_queue import DreamQueue
from .knob_state import KnobState
from .lineup import Lineup
from .live_keep import LiveKeeping
from .live_watch import LiveWatch
from .qt import KRITA_VERSION, QObject, QtCore, app_data_dir, pyqtSignal
from .server_link import ServerChoice
from .state import MANAGED
from .task import ServerTask

PLUGIN_FOLDER = os.path.dirname(os.path.abspath(__file__))  # where the installer wrote the settings description

log = logging.getLogger("dreamlayer_krita")
SERVER_FIELDS = ("server_mode", "server_url", "token", "server_python", "managed_port", "managed_device")


class Controller(LiveKeeping, KnobState, DreamQueue, QObject):
    message = pyqtSignal(str)  # a readable line for the docker
    description_changed = pyqtSignal(object)  # Description: the knobs to build

    def __init__(self, data_dir: str):
        super().__init__()
        self.state_path = os.path.join(data_dir, "settings.json")
        self.log_file = os.path.join(data_dir, "server.log")
        diagnostics.log_to_file(os.path.join(data_dir, "plugin.log"))
        self.state = state_file.load(self.state_path)
        self.description: Description | None = None
        self.description_problem = ""
        self.guide_id: str | None = None  # the guide layer the docker's picker shows (None: no guide)
        self.errors = diagnostics.LastErrors()
        self.connection = Connection(self.log_file, os.getpid())
        self.lineup = Lineup()
        self.live = LiveWatch(self)  # Live Dream: the switch, the live layer, the lane
        self._last: ServerTask | None = None
        self.connection.changed.connect(self._connection_changed)
        self.connection.described.connect(self._described)
        self.lineup.ended.connect(self._ended)
        self.connection.configure(self.server_choice())
        try:
            self.apply_description(Description.load(PLUGIN_FOLDER, "krita"))
        except DescriptionError as exc:
            self.description_problem = str(exc)

    @property
    def task(self) -> ServerTask | None:
        """The dream running now, else the last one that ran."""
        return self.lineup.running or self._last

    # -- the server ---------------------------------------------------------------------------------------------
    def server_choice(self) -> ServerChoice:
        s = self.state
        return ServerChoice(s.server_mode == MANAGED, s.server_url, s.token, s.server_python, s.managed_port,
                            s.managed_device)

    def set_server(self, values: dict[str, Any]) -> None:
        """The Server section's fields, as the artist left them; a different server is reached at once."""
        for name in SERVER_FIELDS:
            setattr(self.state, name, values[name])
        self.save_state()
        if self.connection.configure(self.server_choice()):
            self.check_server()

    def check_server(self) -> None:
        """Reach the server (starting the managed one when nothing answers) and fetch what it describes."""
        self.connection.check()

    def docker_visible(self, visible: bool) -> None:
        """The docker opened (reach the server, unless it is already there) or closed; it watches while open."""
        self.connection.watch(visible)
        if visible and self.connection.state != "connected":
            self.check_server()

    def _described(self, info) -> None:
        try:
            self.apply_description(Description.from_json(info))
        except DescriptionError as exc:
            self.connection.say("not connected", f"The server at {self.connection.choice.address} answered oddly: {exc}")

    def _connection_changed(self, state: str, text: str) -> None:
        if state == "not connected":
            log.warning("dreamlayer: %s", text)
            self.errors.add(text)

    def diagnostics_text(self) -> str:
        versions = {"Plugin (dreamlayer)": installed_version(PLUGIN_FOLDER), "Krita": KRITA_VERSION, "Qt": QtCore.qVersion(),
                    "PyQt": QtCore.PYQT_VERSION_STR}
        connection = self.connection
        return diagnostics.report(versions, connection.choice, f"{connection.state}: {connection.text}",
                                  connection.health, self.log_file, self.errors.lines())

    def shutdown(self) -> None:
        """Krita is quitting: nothing more is sent, and the server the plugin started stops with it."""
        self.lineup.cancel()
        self.live.close()
        self.connection.watch(False)
        self.connection.link.stop()



_controller: Controller | None = None


def controller() -> Controller:
    global _controller
    if _controller is None:
        _controller = Controller(os.path.join(app_data_dir(), "dreamlayer"))
        QtCore.QCoreApplication.instance().aboutToQuit.connect(_controller.shutdown)
        Krita.instance().notifier().applicationClosing.connect(_controller.shutdown)
    return _controller
