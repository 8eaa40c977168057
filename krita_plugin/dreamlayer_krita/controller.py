"""What the docker and the actions share: the settings description, the knobs' values, the server (connection.py),
the dreams asked for (lineup.py) and the last errors. The docker only shows this state and forwards the artist's
presses here.

*Variations: N* makes N dreams of the active layer with consecutive seeds, from the Seed knob's (or, when it says
random, from a drawn one), landing as N layers in a new group above the source, each named with its seed.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from krita import Krita

from dreamlayer_editor.description import Description, DescriptionError, installed_version

from . import diagnostics
from . import state as state_file
from .adapter import VariationGroup, read_guide
from .connection import Connection
from .film_tasks import AnimationTask, ZoomTask
from .lineup import Lineup
from .qt import KRITA_VERSION, QObject, QtCore, app_data_dir, pyqtSignal
from .records import find_node, recall
from .regions import UnsupportedDocument
from .server_link import FixedServer, ServerChoice
from .state import MANAGED
from .task import CANCELLED, DreamError, DreamTask, ServerTask

PLUGIN_FOLDER = os.path.dirname(os.path.abspath(__file__))  # where the installer wrote the settings description

log = logging.getLogger("dreamlayer_krita")
SERVER_FIELDS = ("server_mode", "server_url", "token", "server_python", "managed_port", "managed_device")
NOT_ERRORS = (CANCELLED, "Cancelled before it started.")


class Controller(QObject):
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

    # -- settings ----------------------------------------------------------------------------------------------
    def apply_description(self, description: Description) -> None:
        """Use a (new) description: every stored value is checked against it, missing ones filled from the preset."""
        if description == self.description:
            return
        self.description, self.description_problem = description, ""
        if self.state.preset not in description.presets:
            self.state.preset = description.default_preset
        self.state.values = description.checked(self.state.values, self.state.preset)
        self.state.video_values = description.checked(self.state.video_values, group="video")
        self.save_state()
        self.description_changed.emit(description)

    def choose_preset(self, name: str) -> None:
        """The preset's values go into the knobs: what runs is what the knobs then show."""
        if self.description is None or name not in self.description.presets:
            return
        self.state.preset = name
        self.state.values.update(self.description.preset_values(name))
        self.save_state()

    def set_value(self, name: str, value: Any) -> None:
        self.state.values[name] = value
        self.save_state()

    def set_video_value(self, name: str, value: Any) -> None:
        self.state.video_values[name] = value
        self.save_state()

    def set_variations(self, count: int) -> None:
        self.state.variations = max(1, int(count))
        self.save_state()

    def save_state(self) -> None:
        state_file.save(self.state, self.state_path)

    def dream_params(self) -> dict[str, Any]:
        """Every dream knob's value, and the preset for the layer's name: nothing is left for the preset to fill."""
        settings = self.description.dream if self.description else []
        return {"preset": self.state.preset, **{s["name"]: self.state.values[s["name"]] for s in settings}}

    def zoom_params(self) -> dict[str, Any]:
        """Every dream knob's value but those a zoom names otherwise (its steps_per_frame stands for steps), and
        every zoom knob's."""
        if self.description is None:
            return {"preset": self.state.preset}
        replaced = self.description.zoom_replaces
        params = {name: value for name, value in self.dream_params().items() if name not in replaced}
        return {**params, **{s["name"]: self.state.values[s["name"]] for s in self.description.zoom}}

    def video_params(self) -> dict[str, Any]:
        """Every dream knob's value (the first frame gets their iterations) and every animation knob's."""
        video = self.description.video if self.description else []
        return {**self.dream_params(), **{s["name"]: self.state.video_values[s["name"]] for s in video}}

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
        self.connection.watch(False)
        self.connection.link.stop()

    # -- dreams ---------------------------------------------------------------------------------------------------
    def dream_active(self) -> list[ServerTask]:
        """The Dream button and action: the active layer of the active document, with the knobs' values, the
        guide layer if one is picked, as many times as Variations says."""
        document = self._document()
        if document is None:
            return []
        node = document.activeNode()

        def start() -> list[ServerTask]:
            guide, params, count = self._guide(document), self.dream_params(), self.state.variations
            if count <= 1:
                return [self.dream(document, node, params, guide=guide)]
            seeds = self.description.variation_seeds(params.get("seed"), count)
            batch = VariationGroup(f"variations, {params['preset']}, seeds {seeds[0]} to {seeds[-1]}")
            tasks: list[ServerTask] = []
            region = None
            for index, seed in enumerate(seeds):
                tasks.append(DreamTask(self.connection.link, document, node, {**params, "seed": seed}, guide=guide,
                                       batch=batch, region=region))
                region = tasks[-1].region
                tasks[-1].title = f"Variation {index + 1} of {count}"
            return self._queue(tasks)

        return self._try(start)

    def dream_again_active(self, vary: bool = False) -> list[ServerTask]:
        """Dream again (or Vary: a new seed) with the settings the active dream layer was made with, from its
        source layer, inside the current selection; the new layer goes above the dream layer, so it shows."""
        document = self._document()
        if document is None:
            return []
        dream_layer = document.activeNode()
        record = recall(document, dream_layer) if dream_layer is not None else None
        if record is None or record.kind != "dream":
            self.message.emit("Select a dream layer (one that Dream made) to dream it again.")
            return []
        source = find_node(document, record.source)
        if source is None:
            self.message.emit("The layer this dream was made from is gone, so it can't be dreamed again.")
            return []
        params = {**record.settings, "preset": record.preset, **({"seed": None} if vary else {})}
        return self._try(lambda: [self.dream(document, source, params, above=dream_layer)])

    def zoom_active(self, from_noise: bool = False) -> list[ServerTask]:
        """The Zoom buttons and actions: a zoom film of the active layer (or of noise) with the knobs' values."""
        document = self._document()
        if document is None:
            return []
        return self._try(lambda: [self.zoom(document, None if from_noise else document.activeNode(), self.zoom_params())])

    def animate_active(self) -> list[ServerTask]:
        """Dream the animation (button and action): the active animated layer's drawings in the clip range."""
        document = self._document()
        if document is None:
            return []
        return self._try(lambda: [self.animate(document, document.activeNode(), self.video_params())])

    def dream(self, document, node, params: dict[str, Any], server_url: str | None = None, above=None,
              guide=None) -> DreamTask:
        link = self._link(server_url)
        return self._queue([DreamTask(link, document, node, params, above, guide)])[0]

    def zoom(self, document, node, params: dict[str, Any], server_url: str | None = None) -> ZoomTask:
        return self._queue([self._make(ZoomTask, self._link(server_url), document, node, params)])[0]

    def animate(self, document, node, params: dict[str, Any], server_url: str | None = None) -> AnimationTask:
        return self._queue([self._make(AnimationTask, self._link(server_url), document, node, params)])[0]

    def cancel(self) -> None:
        if self.lineup.cancel():
            self.message.emit("Cancelling...")

    # -- helpers ----------------------------------------------------------------------------------------------------
    def _link(self, server_url: str | None):
        return FixedServer(server_url, self.state.token) if server_url else self.connection.link

    @staticmethod
    def _make(kind, *args):
        try:
            return kind(*args)
        except UnsupportedDocument as exc:
            raise DreamError(str(exc)) from None

    def _guide(self, document):
        """The picked guide layer's pixels, or None without one."""
        if self.guide_id is None:
            return None
        node = find_node(document, self.guide_id)
        if node is None:
            raise DreamError("The guide layer is not in this image: pick another guide, or none.")
        return self._make(read_guide, document, node)

    def _document(self):
        """The active document, once there are knobs to dream with; else None, and the artist is told why."""
        if self.description is None:
            self.message.emit(self.description_problem or "Waiting for the server to say what the settings are.")
            return None
        document = Krita.instance().activeDocument()
        if document is None:
            self.message.emit("Open an image first.")
        return document

    def _try(self, start) -> list[ServerTask]:
        try:
            return start()
        except DreamError as exc:
            self.errors.add(str(exc))
            self.message.emit(str(exc))
            return []

    def _queue(self, tasks: list[ServerTask]) -> list[ServerTask]:
        self._last = tasks[-1]
        self.lineup.add(tasks)
        return tasks

    def _ended(self, task: ServerTask, added: bool, message: str) -> None:
        if not added and message not in NOT_ERRORS:
            self.errors.add(message)


_controller: Controller | None = None


def controller() -> Controller:
    global _controller
    if _controller is None:
        _controller = Controller(os.path.join(app_data_dir(), "dreamlayer"))
        QtCore.QCoreApplication.instance().aboutToQuit.connect(_controller.shutdown)
        Krita.instance().notifier().applicationClosing.connect(_controller.shutdown)
    return _controller
