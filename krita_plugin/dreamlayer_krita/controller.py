"""What the docker and the actions share: the settings description, the knobs' values, the running job, and the
connection to the server. The docker only shows this state and forwards the artist's presses here."""

from __future__ import annotations

import os
import threading
from typing import Any

from krita import Krita

from . import state as state_file
from .client import ClientError, DreamClient
from .description import Description, DescriptionError
from .qt import QObject, app_data_dir, pyqtSignal
from .records import find_node, recall
from .regions import UnsupportedDocument
from .task import DreamError, DreamTask, ServerTask, ZoomTask


class Controller(QObject):
    message = pyqtSignal(str)  # a readable line about the job for the docker
    running = pyqtSignal()  # a job started
    ended = pyqtSignal(bool, str)  # whether a layer was added, and a readable line saying what happened
    progress = pyqtSignal(object)  # JobStatus
    preview = pyqtSignal(object)  # QImage
    connection = pyqtSignal(bool, str)  # whether the server answered, and what to tell the artist
    description_changed = pyqtSignal(object)  # Description: the knobs to build
    _checked = pyqtSignal(object, str)

    def __init__(self, state_path: str):
        super().__init__()
        self.state_path = state_path
        self.state = state_file.load(state_path)
        self.description: Description | None = None
        self.description_problem = ""
        self.task: ServerTask | None = None
        self._checked.connect(self._on_checked)
        try:
            self.apply_description(Description.load())
        except DescriptionError as exc:
            self.description_problem = str(exc)

    # -- settings ----------------------------------------------------------------------------------------------
    def apply_description(self, description: Description) -> None:
        """Use a (new) description: every stored value is checked against it, missing ones filled from the preset."""
        if description == self.description:
            return
        self.description, self.description_problem = description, ""
        if self.state.preset not in description.presets:
            self.state.preset = description.default_preset
        self.state.values = description.checked(self.state.values, self.state.preset)
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

    # -- the server ---------------------------------------------------------------------------------------------
    def client(self, server_url: str | None = None) -> DreamClient:
        return DreamClient(server_url or self.state.server_url, self.state.token or None)

    def set_server(self, url: str, token: str) -> None:
        self.state.server_url, self.state.token = url.strip(), token.strip()
        self.save_state()
        self.check_server()

    def check_server(self) -> None:
        """Ask the server for its models and settings in the background; answers through ``connection``."""
        client = self.client()

        def work() -> None:
            try:
                self._checked.emit(client.models(), "")
            except ClientError as exc:
                self._checked.emit(None, str(exc))

        threading.Thread(target=work, name="dreamlayer-check", daemon=True).start()

    def _on_checked(self, info, error: str) -> None:
        if info is not None:
            try:
                self.apply_description(Description.from_json(info))
            except DescriptionError as exc:
                info, error = None, f"The server at {self.state.server_url} answered oddly: {exc}"
        self.connection.emit(info is not None, f"Connected to {self.state.server_url}." if info is not None else error)

    # -- dreams ---------------------------------------------------------------------------------------------------
    def dream_active(self) -> DreamTask | None:
        """The Dream button and action: the active layer of the active document, with the knobs' values."""
        document = self._document()
        if document is None:
            return None
        return self._try(lambda: self.dream(document, document.activeNode(), self.dream_params()))

    def dream_again_active(self, vary: bool = False) -> DreamTask | None:
        """Dream again (or Vary: a new seed) with the settings the active dream layer was made with, from its
        source layer, inside the current selection; the new layer goes above the dream layer, so it shows."""
        document = self._document()
        if document is None:
            return None
        dream_layer = document.activeNode()
        record = recall(document, dream_layer) if dream_layer is not None else None
        if record is None or record.kind != "dream":
            self.message.emit("Select a dream layer (one that Dream made) to dream it again.")
            return None
        source = find_node(document, record.source)
        if source is None:
            self.message.emit("The layer this dream was made from is gone, so it can't be dreamed again.")
            return None
        params = {**record.settings, "preset": record.preset, **({"seed": None} if vary else {})}
        return self._try(lambda: self.dream(document, source, params, above=dream_layer))

    def zoom_active(self, from_noise: bool = False) -> ZoomTask | None:
        """The Zoom buttons and actions: a zoom film of the active layer (or of noise) with the knobs' values."""
        document = self._document()
        if document is None:
            return None
        return self._try(lambda: self.zoom(document, None if from_noise else document.activeNode(), self.zoom_params()))

    def dream(self, document, node, params: dict[str, Any], server_url: str | None = None, above=None) -> DreamTask:
        return self._start(lambda client: DreamTask(client, document, node, params, above), server_url)

    def zoom(self, document, node, params: dict[str, Any], server_url: str | None = None) -> ZoomTask:
        return self._start(lambda client: ZoomTask(client, document, node, params), server_url)

    def cancel(self) -> None:
        if self.task is not None and not self.task.done:
            self.task.cancel()
            self.message.emit("Cancelling...")

    def _document(self):
        """The active document, once there are knobs to dream with; else None, and the artist is told why."""
        if self.description is None:
            self.message.emit(self.description_problem or "Waiting for the server to say what the settings are.")
            return None
        document = Krita.instance().activeDocument()
        if document is None:
            self.message.emit("Open an image first.")
        return document

    def _try(self, start):
        try:
            return start()
        except DreamError as exc:
            self.message.emit(str(exc))
            return None

    def _start(self, make_task, server_url: str | None):
        if self.task is not None and not self.task.done:
            raise DreamError("A dream is already running; wait for it or cancel it.")
        try:
            task = make_task(self.client(server_url))
        except UnsupportedDocument as exc:
            raise DreamError(str(exc)) from None
        task.progress.connect(self.progress)
        task.preview.connect(self.preview)
        task.finished.connect(lambda layer: self.ended.emit(True, f"Added the layer '{layer.name()}'."))
        task.failed.connect(lambda message: self.ended.emit(False, message))
        self.task = task
        self.running.emit()
        self.message.emit("Dreaming...")
        task.start()
        return task


_controller: Controller | None = None


def controller() -> Controller:
    global _controller
    if _controller is None:
        _controller = Controller(os.path.join(app_data_dir(), "dreamlayer", "settings.json"))
    return _controller
